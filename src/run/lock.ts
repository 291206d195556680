import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { OperatorError } from "../util/errors.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * An exclusive lock file holding "pid host". A lock left by a dead process of this host is taken
 * over; one held by a live process (or another host) refuses the run.
 */
export function acquireLock(file: string): () => void {
  mkdirSync(dirname(file), { recursive: true });
  const me = `${process.pid} ${hostname()}\n`;
  for (let tries = 0; tries < 2; tries++) {
    try {
      const fd = openSync(file, "wx", 0o644);
      writeSync(fd, me);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, "utf8") === me) unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new OperatorError(`${file}: cannot create the lock file (${(err as Error).message}); fix lockfile`, 1);
      const [pid, host] = readFileSync(file, "utf8").trim().split(/\s+/);
      if (host === hostname() && pid && !alive(Number(pid))) {
        unlinkSync(file);
        continue;
      }
      throw new OperatorError(`${file}: another edgemanage run (pid ${pid} on ${host}) holds the lock for this network; wait for it, or remove the file if that process is gone`, 1);
    }
  }
  throw new OperatorError(`${file}: could not take the lock`, 1);
}

import { linkSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { OperatorError, errorMessage } from "../util/errors.js";
import { ensureDir, removeQuietly, writeTemp } from "../util/fs.js";

/** "pid host started" of the run holding a lock; null when the file is empty or not of that form. */
export interface Holder {
  pid: number;
  host: string;
  /** Epoch seconds. */
  started: number;
}

export function parseHolder(text: string): Holder | null {
  const m = /^(\d+) (\S+) (\d+(?:\.\d+)?)\n?$/.exec(text);
  return m ? { pid: Number(m[1]), host: m[2]!, started: Number(m[3]) } : null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether a lock was left behind: its process is gone (this host), or it is older than any run can last
 * (another host's, or empty/unreadable as an interrupted older version left it). Pure but for `alive`.
 */
export function isStale(holder: Holder | null, ageSeconds: number, staleAfter: number, host: string, isAlive: (pid: number) => boolean = alive): boolean {
  if (holder === null || holder.host !== host) return ageSeconds > staleAfter;
  return !isAlive(holder.pid);
}

const sleepMs = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Bounded waits while another process takes a stale lock over (a takeover lasts microseconds). */
const GATE_TRIES = 200;
const GATE_WAIT_MS = 5;
/** A takeover gate older than this was left by a process that died during its takeover. */
const GATE_STALE_SECONDS = 10;

function inspect(file: string): { ino: number; holder: Holder | null; age: number } | null {
  try {
    const st = statSync(file);
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      // Unreadable: judged by its age.
    }
    return { ino: st.ino, holder: parseHolder(text), age: Date.now() / 1000 - st.mtimeMs / 1000 };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new OperatorError(`${file}: cannot read the lock file (${errorMessage(err)}); fix lockfile`, 1);
  }
}

/**
 * Removes a stale lock, but only the very file judged stale (same inode): removals go through a gate
 * (`<lock>.takeover`, taken with link(2)), so two processes can never both remove and replace it.
 */
function takeOver(file: string, staleIno: number, mine: string): void {
  const gate = `${file}.takeover`;
  for (let i = 0; i < GATE_TRIES; i++) {
    try {
      linkSync(mine, gate);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const g = inspect(gate);
      if (g && g.age > GATE_STALE_SECONDS && isStale(g.holder, g.age, GATE_STALE_SECONDS, hostname())) unlinkSync(gate);
      sleepMs(GATE_WAIT_MS);
      continue;
    }
    try {
      if (inspect(file)?.ino === staleIno) unlinkSync(file);
    } finally {
      unlinkSync(gate);
    }
    return;
  }
}

/**
 * An exclusive lock file holding "pid host started". Taking it is atomic: the content is written to
 * a temporary file first and then link(2)ed into place, so a lock is never empty. A lock left by a
 * dead process of this host, or older than `staleAfter` seconds, is taken over; one held by a live
 * run refuses this one.
 */
export function acquireLock(file: string, staleAfter: number): () => void {
  ensureDir(dirname(file));
  const me = `${process.pid} ${hostname()} ${Math.floor(Date.now() / 1000)}\n`;
  let tmp: string;
  try {
    tmp = writeTemp(file, me);
  } catch (err) {
    throw new OperatorError(`${file}: cannot create the lock file (${errorMessage(err)}); fix lockfile or free space on its file system`, 1);
  }
  try {
    for (let tries = 0; tries < 3; tries++) {
      try {
        linkSync(tmp, file);
        const ino = statSync(file).ino;
        return () => {
          try {
            if (statSync(file).ino === ino) unlinkSync(file);
          } catch {
            // Already gone: nothing to release.
          }
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new OperatorError(`${file}: cannot create the lock file (${errorMessage(err)}); fix lockfile`, 1);
      }
      const found = inspect(file);
      if (found === null) continue;
      if (!isStale(found.holder, found.age, staleAfter, hostname())) {
        const who = found.holder ? `pid ${found.holder.pid} on ${found.holder.host}, since ${new Date(found.holder.started * 1000).toISOString()}` : `an unreadable lock ${Math.round(found.age)}s old`;
        throw new OperatorError(`${file}: another edgemanage run (${who}) holds the lock for this network; wait for it, or remove the file if that process is gone`, 1);
      }
      takeOver(file, found.ino, tmp);
    }
    throw new OperatorError(`${file}: could not take the lock (other runs keep taking it); try again`, 1);
  } finally {
    // The link in place keeps the content.
    removeQuietly(tmp);
  }
}

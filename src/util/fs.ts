import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join, parse } from "node:path";
import { errorMessage } from "./errors.js";

// node:crypto is loaded at the first hash, not with this module: a run's start (the lock's temporary
// file) needs none, and with main.ts's V8 flags loading it costs some 20 ms before the first probe.
export const sha256 = (data: string | Buffer): string => process.getBuiltinModule("node:crypto").createHash("sha256").update(data).digest("hex");

/** A file system error that names the file: every write failure reaches the operator with its path. */
export class FileError extends Error {
  constructor(
    readonly file: string,
    readonly action: string,
    cause: unknown,
  ) {
    super(`${file}: cannot ${action} (${errorMessage(cause)})`);
    this.name = "FileError";
  }
}

/** Deep enough for any real layout; a path deeper than this is refused rather than walked. */
const MAX_DEPTH = 64;

/**
 * Creates a folder and its missing parents one level at a time. Node's recursive mkdir loops forever
 * under /proc; this walks at most MAX_DEPTH levels and refuses anything on the way that is not a folder.
 */
export function ensureDir(dir: string): void {
  const missing: string[] = [];
  const root = parse(dir).root;
  let at = dir;
  for (let depth = 0; ; depth++) {
    if (depth > MAX_DEPTH) throw new FileError(dir, "create the folder", new Error(`more than ${MAX_DEPTH} levels`));
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new FileError(at, "look at the folder", err);
      missing.push(at);
      if (at === root) break;
      at = dirname(at);
      continue;
    }
    if (!isDir) throw new FileError(at, "use it as a folder", new Error("it exists and is not a folder"));
    break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new FileError(d, "create the folder", err);
    }
  }
}

/** Writes every byte (a short write on a nearly full disk is continued, then fails with ENOSPC). */
function writeAll(fd: number, bytes: Buffer): void {
  let off = 0;
  while (off < bytes.length) {
    const n = writeSync(fd, bytes, off, bytes.length - off);
    if (n <= 0) throw Object.assign(new Error("write made no progress"), { code: "EIO" });
    off += n;
  }
}

/** fsync of a folder, so a rename in it survives a crash; file systems that cannot are let be. */
function syncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "EISDIR" && code !== "ENOTSUP") throw new FileError(dir, "sync the folder", err);
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Write-then-rename in the same folder, so readers (bind, the next run) never see half a file: every
 * byte written, the file and its folder fsynced. On any failure the previous file stays as it was, no
 * temporary file is left, and the error names the file.
 */
export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o644): void {
  const dir = dirname(file);
  ensureDir(dir);
  let tmp: string;
  try {
    tmp = writeTemp(file, data, mode);
  } catch (err) {
    throw new FileError(file, "write", err);
  }
  try {
    renameSync(tmp, file);
  } catch (err) {
    removeQuietly(tmp);
    throw new FileError(file, "write", err);
  }
  syncDir(dir);
}

/** Removes a file that may already be gone. */
export function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already renamed, linked away or never created: nothing to remove.
  }
}

/** Eight hex digits: with the pid, a name no other writer picks; `wx` refuses it should one have. */
const tempTag = () => Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, "0");

/**
 * A new temporary file beside `file` (`.name.pid.random.tmp`) holding every byte of `data`, fsynced;
 * its path is returned. On failure nothing is left and the system's error is thrown.
 */
export function writeTemp(file: string, data: string | Buffer, mode = 0o644): string {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${tempTag()}.tmp`);
  const fd = openSync(tmp, "wx", mode);
  try {
    try {
      writeAll(fd, typeof data === "string" ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    removeQuietly(tmp);
    throw err;
  }
  return tmp;
}

/** The file's bytes, or null when there is none; any other failure names the file. */
export function readIfExists(file: string): Buffer | null {
  try {
    return readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new FileError(file, "read", err);
  }
}

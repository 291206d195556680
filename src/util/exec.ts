import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ProgramRun {
  ok: boolean;
  stdout: string;
  stderr: string;
  /** Why it failed (exit status, signal, timeout, not found); null when it succeeded. */
  error: string | null;
}

/** Runs a program without a shell, bounded by `timeoutMs` (then killed). Never throws: the outcome is a value. */
export function runProgram(program: string, args: readonly string[], timeoutMs: number): Promise<ProgramRun> {
  return new Promise((resolve) =>
    execFile(program, args, { timeout: timeoutMs }, (err, stdout, stderr) => resolve({ ok: !err, stdout, stderr, error: err ? err.message : null })),
  );
}

/** Runs `fn` with a private temporary folder (0700), removed afterwards whatever happens. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

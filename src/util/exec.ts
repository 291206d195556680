import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
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
    // Loaded at first use: most runs start no program before their probes are out.
    process.getBuiltinModule("node:child_process").execFile(program, args, { timeout: timeoutMs }, (err, stdout, stderr) => resolve({ ok: !err, stdout, stderr, error: err ? err.message : null })),
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

/**
 * `fn` over every item, at most one call per core at a time, the results in the items' order. For
 * work done by child processes (named-checkzone, dnssec-signzone): a run with 200 zones takes
 * seconds, not minutes, and never starts 200 processes at once.
 */
export async function mapPerCore<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), items.length) }, worker));
  return out;
}

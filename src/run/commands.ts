import type { Logger } from "pino";
import { runProgram } from "../util/exec.js";

/**
 * Runs operator hooks without a shell: the classic tool split each command on spaces, and so do we.
 * Failures are logged, never fatal; each command may take up to `timeoutMs`.
 */
export async function runCommands(which: string, commands: readonly string[], log: Logger, timeoutMs = 30_000): Promise<void> {
  for (const command of commands) {
    const [file, ...args] = command.trim().split(/\s+/);
    if (!file) continue;
    const r = await runProgram(file, args, timeoutMs);
    if (!r.ok) log.error({ hook: which, command, err: r.error, stderr: r.stderr.trim().slice(0, 2000) }, "command failed");
    else log.info({ hook: which, command, stdout: r.stdout.trim().slice(0, 2000) }, "command ran");
  }
}

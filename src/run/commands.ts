import { execFile } from "node:child_process";
import type { Logger } from "pino";

/**
 * Runs operator hooks without a shell: the classic tool split each command on spaces, and so do we.
 * Failures are logged, never fatal; each command may take up to `timeoutMs`.
 */
export async function runCommands(which: string, commands: readonly string[], log: Logger, timeoutMs = 30_000): Promise<void> {
  for (const command of commands) {
    const [file, ...args] = command.trim().split(/\s+/);
    if (!file) continue;
    await new Promise<void>((resolve) => {
      execFile(file, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
        if (err) log.error({ hook: which, command, err: err.message, stderr: stderr.trim().slice(0, 2000) }, "command failed");
        else log.info({ hook: which, command, stdout: stdout.trim().slice(0, 2000) }, "command ran");
        resolve();
      });
    });
  }
}

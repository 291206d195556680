import type { Logger } from "pino";
import type { NetworkSettings } from "../config/load.js";
import { OperatorError } from "../util/errors.js";
import { runCommands } from "./commands.js";
import type { Applied, Committer } from "./commit.js";
import { acquireLock } from "./lock.js";
import { verifyOutputs } from "./outputs.js";
import type { RunPlan } from "./plan.js";
import { formatPlan } from "./report.js";

export type Hook = "run_before" | "run_after" | "run_after_changes";

/** What a run did after planning: nothing (a dry run), or what was applied and what verifying found. */
export interface Finished {
  applied: Applied | null;
  verifyErrors: string[];
}

/**
 * Everything a dry run does differently, chosen once: it takes no lock, runs no hook, shares no
 * observations, ignores the spacing of runs, and prints the plan instead of applying it.
 */
export interface Session {
  lock(): () => void;
  hook(which: Hook): Promise<void>;
  readonly shares: boolean;
  /** Refuses a run too soon after the last one (unless --force). */
  spacing(lastRun: number | null, now: number, minSeconds: number): void;
  finish(plan: RunPlan, committer: Committer): Promise<Finished>;
}

export interface SessionOptions {
  dryRun: boolean;
  force: boolean;
}

const dryRun = (s: NetworkSettings, print: (text: string) => void): Session => ({
  lock: () => () => {},
  hook: async () => {},
  shares: false,
  spacing: () => {},
  async finish(plan) {
    print(formatPlan(s, plan));
    return { applied: null, verifyErrors: [] };
  },
});

function live(s: NetworkSettings, force: boolean, log: Logger): Session {
  const hook = (which: Hook) => runCommands(which, s.config.commands[which], log);
  return {
    lock: () => acquireLock(s.lockfile, s.lockStaleAfter),
    hook,
    shares: true,
    spacing(lastRun, now, minSeconds) {
      const since = lastRun === null ? null : now - lastRun;
      if (force || since === null || since < 0 || since >= minSeconds) return;
      throw new OperatorError(`network ${s.dnet}: last run was ${since.toFixed(0)}s ago (less than ${minSeconds}s); bypass with --force at your own risk`, 1);
    },
    /** apply → hooks → verify. Hooks run in every mode, whatever the outcome. */
    async finish(plan, committer) {
      let applied: Applied | null = null;
      try {
        applied = await committer.commit(plan);
      } finally {
        if (applied?.written.length) await hook("run_after_changes");
        await hook("run_after");
      }
      const verifyErrors = verifyOutputs(s, applied.plan, applied.written);
      for (const e of verifyErrors) log.error({ err: e }, `verify: ${e}`);
      return { applied, verifyErrors };
    },
  };
}

export const sessionFor = (s: NetworkSettings, opts: SessionOptions, log: Logger, print: (text: string) => void): Session => (opts.dryRun ? dryRun(s, print) : live(s, opts.force, log));

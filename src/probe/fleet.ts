import type { Observation } from "../core/observation.js";
import { reserveDescriptors } from "./descriptors.js";
import { ProbeGroup } from "./ending.js";
import { type ProbeSettings, probeOne, timedOut } from "./probe.js";
import { QuietWatch } from "./quiet.js";
import { monotonicMs } from "../util/monotonic.js";

export interface ProbeTarget {
  address: string;
  kind: "edge" | "canary";
}

export interface ProbeOptions {
  /** Aborts every open probe: they are recorded as failures ("deadline"). */
  deadline: AbortSignal;
  /** Pending canary probes are cancelled once this many canaries have failed. */
  canaryKiller: number;
  onResult?: (target: ProbeTarget, o: Observation) => void;
  onCanariesKilled?: (failures: number) => void;
  /** Told once every probe has started: how many, and over how many milliseconds. */
  onStarted?: (count: number, spreadMs: number) => void;
  /**
   * Told when probing has gone quiet (probe/quiet.ts), with the results as they would be should every
   * probe still open time out: what a plan can be made from ahead of the last timeouts.
   */
  onQuiet?: (provisional: Map<string, Observation>) => void;
  /** How long no probe may have ended before probing counts as quiet (QUIET_MS). */
  quietMs?: number;
}

export const DEFAULT_CONCURRENCY = 10_000;

/**
 * Probes are started for at most this long before the event loop gets a turn: answers that arrive
 * meanwhile are timed when their callbacks run, so a long burst of starts would inflate the times
 * measured first, and a short one spreads the starts (and with them the last timeouts) out.
 */
const START_SLICE_MS = 0.5;

const turn = () => new Promise<void>((r) => setImmediate(r));

/**
 * Probes every target concurrently (at most `concurrency` at once). Resolves when all are done or the
 * deadline passed, with the results in the targets' order; cancelled canaries are absent from them.
 */
export async function probeAll(targets: readonly ProbeTarget[], s: ProbeSettings, opts: ProbeOptions): Promise<Map<string, Observation>> {
  const results = new Map<string, Observation>();
  const canaryStop = new AbortController();
  const edges = new ProbeGroup(opts.deadline);
  const canaries = new ProbeGroup(AbortSignal.any([opts.deadline, canaryStop.signal]));
  let canaryFailures = 0;
  let next = 0;
  let allStarted = () => {};
  const started = new Promise<void>((r) => (allStarted = r));
  // Results in the targets' order, whatever order the probes ended in; open probes as the timeouts they become.
  const inOrder = (open: (s: ProbeSettings) => Observation | null) =>
    new Map(targets.flatMap((t) => {
      const o = results.get(t.address) ?? (t.kind === "canary" && canaryStop.signal.aborted ? null : open(s));
      return o ? [[t.address, o] as const] : [];
    }));
  const quiet = new QuietWatch(() => opts.onQuiet?.(inOrder(timedOut)), opts.quietMs);
  const worker = async () => {
    while (next < targets.length) {
      const target = targets[next++]!;
      if (next === targets.length && opts.onQuiet) quiet.start();
      const isCanary = target.kind === "canary";
      if (isCanary && canaryStop.signal.aborted) continue;
      if (opts.deadline.aborted) {
        results.set(target.address, { seconds: s.timeout, outcome: "deadline", detail: "not started before run_deadline" });
        continue;
      }
      const o = await probeOne(target.address, s, isCanary ? canaries : edges, started);
      if (isCanary && canaryStop.signal.aborted) continue;
      results.set(target.address, o);
      quiet.ended();
      opts.onResult?.(target, o);
      if (isCanary && o.outcome !== "ok" && ++canaryFailures >= opts.canaryKiller) {
        canaryStop.abort();
        opts.onCanariesKilled?.(canaryFailures);
      }
    }
  };
  const running: Promise<void>[] = [];
  const width = Math.min(s.concurrency, targets.length);
  reserveDescriptors(width);
  const first = monotonicMs();
  let slice = first;
  for (let i = 0; i < width; i++) {
    if (monotonicMs() - slice >= START_SLICE_MS) {
      await turn();
      slice = monotonicMs();
    }
    running.push(worker());
  }
  opts.onStarted?.(running.length, Math.round(monotonicMs() - first));
  allStarted();
  await Promise.all(running);
  quiet.stop();
  return inOrder(() => null);
}

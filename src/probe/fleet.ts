import { performance } from "node:perf_hooks";
import type { Observation } from "../core/observation.js";
import { ProbeGroup } from "./ending.js";
import { type ProbeSettings, probeOne } from "./probe.js";

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
 * deadline passed; cancelled canaries are absent from the result.
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
  const worker = async () => {
    while (next < targets.length) {
      const target = targets[next++]!;
      const isCanary = target.kind === "canary";
      if (isCanary && canaryStop.signal.aborted) continue;
      if (opts.deadline.aborted) {
        results.set(target.address, { seconds: s.timeout, outcome: "deadline", detail: "not started before run_deadline" });
        continue;
      }
      const o = await probeOne(target.address, s, isCanary ? canaries : edges, started);
      if (isCanary && canaryStop.signal.aborted) continue;
      results.set(target.address, o);
      opts.onResult?.(target, o);
      if (isCanary && o.outcome !== "ok" && ++canaryFailures >= opts.canaryKiller) {
        canaryStop.abort();
        opts.onCanariesKilled?.(canaryFailures);
      }
    }
  };
  const running: Promise<void>[] = [];
  const first = performance.now();
  let slice = first;
  for (let i = 0; i < Math.min(s.concurrency, targets.length); i++) {
    if (performance.now() - slice >= START_SLICE_MS) {
      await turn();
      slice = performance.now();
    }
    running.push(worker());
  }
  opts.onStarted?.(running.length, Math.round(performance.now() - first));
  allStarted();
  await Promise.all(running);
  return results;
}

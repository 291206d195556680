import { type EdgeRecord, type Series, emptyEdge } from "./state.js";
import { type HistoryLimits, recordSample } from "./history.js";
import type { Observation } from "./observation.js";
import type { Streak } from "./selection.js";

/** Edges gone from the edge list are forgotten once they have not been probed for this long. */
const FORGET_AFTER = 7 * 24 * 3600;

/**
 * The records of the wanted addresses, with this run's observations added as samples (unless `record`
 * is false: a frozen run adds nothing); records not wanted are kept while recent or not `available`.
 */
export function recordAll(
  previous: Readonly<Record<string, EdgeRecord>>,
  addresses: Iterable<string>,
  observations: ReadonlyMap<string, Observation>,
  now: number,
  failValue: number,
  limits: HistoryLimits,
  record: boolean,
): Record<string, EdgeRecord> {
  const wanted = new Set(addresses);
  const next: Record<string, EdgeRecord> = {};
  for (const [addr, rec] of Object.entries(previous)) {
    const lastSeen = rec.samples.t.at(-1) ?? 0;
    if (wanted.has(addr) || now - lastSeen < FORGET_AFTER || rec.mode !== "available") next[addr] = rec;
  }
  for (const addr of wanted) {
    const rec = next[addr] ?? emptyEdge();
    const o = record ? observations.get(addr) : undefined;
    // Whole-second sample times: enough for the 300 s window, and they compress to almost nothing.
    const sampled = o ? recordSample(rec, Math.floor(now), Math.min(o.seconds, failValue), limits) : rec;
    next[addr] = o?.cert ? { ...sampled, cert: { ...o.cert, seen: now } } : sampled;
  }
  return next;
}

/** Runs in a row that passed / failed, newest back, from the kept samples. */
export function streakOf(samples: Series, failValue: number): Streak {
  const v = samples.v;
  const isFail = (x: number) => x >= failValue;
  let passes = 0;
  let fails = 0;
  for (let i = v.length - 1; i >= 0 && !isFail(v[i]!); i--) passes++;
  for (let i = v.length - 1; i >= 0 && isFail(v[i]!); i--) fails++;
  return { passes, fails, everFailed: v.some(isFail) };
}

/**
 * Joins of the live set within the last `window` seconds that followed a failure of the edge since
 * its previous join: the times it left by failing and came back. An edge that stands in while a
 * flapping one is down also joins and leaves, but never fails, so it is not counted.
 */
export function flapsOf(rec: EdgeRecord | undefined, now: number, window: number, failValue: number): number {
  if (!rec) return 0;
  let count = 0;
  rec.rotations.forEach((t, i) => {
    if (t <= now - window) return;
    // Sample times are whole seconds: a failure in the second of the previous join is after it (that
    // join's own sample passed).
    const since = i > 0 ? Math.floor(rec.rotations[i - 1]!) : Number.NEGATIVE_INFINITY;
    if (rec.samples.t.some((st, j) => st >= since && st <= t && rec.samples.v[j]! >= failValue)) count++;
  });
  return count;
}

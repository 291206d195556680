import type { EdgeRecord, Series } from "./state.js";

/** Bounds that keep every per-edge list finite. */
export interface HistoryLimits {
  samples: number;
  hourly: number;
  rotations: number;
}

export const DEFAULT_LIMITS: HistoryLimits = { samples: 2000, hourly: 24 * 30, rotations: 100 };

/** The window of `pass_window`, in seconds. */
export const WINDOW_SECONDS = 300;

export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export function averageSince(s: Series, since: number): number | null {
  let sum = 0;
  let n = 0;
  // Times only grow: walk back from the newest.
  for (let i = s.t.length - 1; i >= 0 && s.t[i]! > since; i--) (sum += s.v[i]!), n++;
  return n ? sum / n : null;
}

export const averageAll = (s: Series): number | null => mean(s.v);

export const lastValue = (s: Series): number | null => s.v.at(-1) ?? null;

/** [t, v] pairs, for printing and for tests. */
export const pointsOf = (s: Series): [number, number][] => s.t.map((t, i) => [t, s.v[i]!]);

export const seriesOf = (points: readonly (readonly [number, number])[]): Series => ({ t: points.map((p) => p[0]), v: points.map((p) => p[1]) });

/** Appends a point and drops the oldest beyond `max`. */
export function pushPoint(s: Series, t: number, v: number, max: number): Series {
  return { t: boundedPush(s.t, t, max), v: boundedPush(s.v, v, max) };
}

/** Appends and drops the oldest entries beyond `max`. */
export function boundedPush<T>(list: readonly T[], item: T, max: number): T[] {
  const next = [...list, item];
  return next.length > max ? next.slice(next.length - max) : next;
}

/**
 * Adds one fetch time. The hourly series gets one point per clock hour, at the first sample of that
 * hour: the mean of the samples of the hour before it.
 */
export function recordSample(edge: EdgeRecord, t: number, seconds: number, limits: HistoryLimits): EdgeRecord {
  const samples = pushPoint(edge.samples, t, seconds, limits.samples);
  const lastHour = edge.hourly.t.at(-1);
  let hourly = edge.hourly;
  if (lastHour === undefined || Math.floor(lastHour / 3600) !== Math.floor(t / 3600)) {
    const avg = averageSince(samples, t - 3600);
    // Millisecond resolution, like the samples: that is what the state keeps.
    if (avg !== null) hourly = pushPoint(edge.hourly, t, Math.round(avg * 1000) / 1000, limits.hourly);
  }
  return { ...edge, samples, hourly };
}

export function recordRotation(edge: EdgeRecord, t: number, limits: HistoryLimits): EdgeRecord {
  return { ...edge, rotations: boundedPush(edge.rotations, t, limits.rotations) };
}

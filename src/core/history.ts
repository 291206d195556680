import type { EdgeRecord } from "./state.js";

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

export function averageSince(samples: readonly [number, number][], since: number): number | null {
  return mean(samples.filter(([t]) => t > since).map(([, v]) => v));
}

export function averageAll(samples: readonly [number, number][]): number | null {
  return mean(samples.map(([, v]) => v));
}

export const lastValue = (samples: readonly [number, number][]): number | null => samples.at(-1)?.[1] ?? null;

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
  const samples = boundedPush(edge.samples, [t, seconds] as [number, number], limits.samples);
  const lastHour = edge.hourly.at(-1);
  let hourly = edge.hourly;
  if (!lastHour || Math.floor(lastHour[0] / 3600) !== Math.floor(t / 3600)) {
    const avg = averageSince(samples, t - 3600);
    // Millisecond resolution, like the samples: that is what the state keeps.
    if (avg !== null) hourly = boundedPush(edge.hourly, [t, Math.round(avg * 1000) / 1000] as [number, number], limits.hourly);
  }
  return { ...edge, samples, hourly };
}

export function recordRotation(edge: EdgeRecord, t: number, limits: HistoryLimits): EdgeRecord {
  return { ...edge, rotations: boundedPush(edge.rotations, t, limits.rotations) };
}

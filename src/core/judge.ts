import type { Judgement, Series } from "./state.js";
import { WINDOW_SECONDS, averageAll, averageSince, lastValue } from "./history.js";

export interface Verdict {
  judgement: Judgement;
  last: number | null;
  windowAverage: number | null;
  average: number | null;
  reason: string;
}

/** Best first: the order in which judged edges fill the live set. */
export const JUDGEMENT_RANK: Record<Judgement, number> = { pass_threshold: 0, pass_window: 1, pass_average: 2, pass: 3, fail: 4 };

const fmt = (v: number | null) => (v === null ? "none" : `${v.toFixed(3)}s`);

/**
 * Judges one edge from its samples (the current run's included). First match wins:
 * pass_threshold (last < goodenough), fail (last is the failure value), pass_window (mean of the
 * last 300 s < goodenough), pass_average (mean of all kept samples < goodenough), pass.
 */
export function judge(samples: Series, now: number, goodenough: number, failValue: number): Verdict {
  const last = lastValue(samples);
  const windowAverage = averageSince(samples, now - WINDOW_SECONDS);
  const average = averageAll(samples);
  const base = { last, windowAverage, average };
  if (last === null) return { ...base, judgement: "fail", reason: "no fetch time recorded" };
  if (last < goodenough) return { ...base, judgement: "pass_threshold", reason: `last fetch ${fmt(last)} < goodenough ${goodenough}s` };
  if (last >= failValue) return { ...base, judgement: "fail", reason: `last fetch failed (recorded as ${fmt(last)})` };
  if (windowAverage !== null && windowAverage < goodenough) {
    return { ...base, judgement: "pass_window", reason: `last ${fmt(last)} slow, but mean of last ${WINDOW_SECONDS}s ${fmt(windowAverage)} < goodenough` };
  }
  if (average !== null && average < goodenough) {
    return { ...base, judgement: "pass_average", reason: `last ${fmt(last)} and window ${fmt(windowAverage)} slow, but overall mean ${fmt(average)} < goodenough` };
  }
  return { ...base, judgement: "pass", reason: `slow: last ${fmt(last)}, window ${fmt(windowAverage)}, mean ${fmt(average)} all >= goodenough` };
}

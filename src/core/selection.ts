import type { Judgement, Mode } from "./state.js";
import type { Verdict } from "./judge.js";

/** What a rule knows: this run's facts about every edge, read-only. */
export interface RuleContext {
  now: number;
  /** N: the number of edges to publish. */
  wanted: number;
  edges: readonly string[];
  inList: ReadonlySet<string>;
  prevLive: readonly string[];
  prevSet: ReadonlySet<string>;
  mode(e: string): Mode;
  judgement(e: string): Judgement;
  verdict(e: string): Verdict | undefined;
  average(e: string): number;
  /** Consecutive passing and failing runs up to this one, and whether the kept history has a failure. */
  streak(e: string): Streak;
  /** Times the edge left the live set by failing and joined again, within flap_window (0 when off). */
  flaps(e: string): number;
  settings: {
    rise: number;
    fall: number;
    flapWindow: number | null;
    flapLimit: number | null;
    maxChangesPer10Min: number;
  };
  /** Substitution times of the last 10 minutes (dnschange_maxfreq). */
  recentSubstitutions: readonly number[];
}

export interface Streak {
  passes: number;
  fails: number;
  everFailed: boolean;
}

/**
 * The live set as the rules build it. Rules are applied in order; each returns a new selection.
 * `filled` lists the edges that joined by filling, best first (the last is the weakest).
 */
export interface Selection {
  live: readonly string[];
  reasons: ReadonlyMap<string, string>;
  outReasons: ReadonlyMap<string, string>;
  filled: readonly string[];
  errors: readonly string[];
}

export const emptySelection = (): Selection => ({ live: [], reasons: new Map(), outReasons: new Map(), filled: [], errors: [] });

export function add(sel: Selection, e: string, reason: string, filled = false): Selection {
  const outReasons = new Map(sel.outReasons);
  outReasons.delete(e);
  return { ...sel, live: [...sel.live, e], reasons: new Map(sel.reasons).set(e, reason), outReasons, filled: filled ? [...sel.filled, e] : sel.filled };
}

export function remove(sel: Selection, e: string, reason: string): Selection {
  const reasons = new Map(sel.reasons);
  reasons.delete(e);
  return { ...sel, live: sel.live.filter((x) => x !== e), reasons, outReasons: new Map(sel.outReasons).set(e, reason) };
}

export const out = (sel: Selection, e: string, reason: string): Selection => ({ ...sel, outReasons: new Map(sel.outReasons).set(e, reason) });
export const error = (sel: Selection, message: string): Selection => ({ ...sel, errors: [...sel.errors, message] });

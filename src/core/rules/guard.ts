import type { GuardState } from "../state.js";
import { type Observation, failed } from "../observation.js";

export interface GuardSettings {
  maxFailingFraction: number;
  maxFrozenRuns: number;
}

/**
 * clear: not suspect. edges_failing: suspect, but the controls answer, so the edges really fail.
 * frozen: suspect and the prober's own network is in doubt: nothing changes. released: frozen for
 * max_frozen_runs already: the normal rules apply again.
 */
export type GuardStatus = "clear" | "edges_failing" | "frozen" | "released";

export interface GuardOutcome {
  status: GuardStatus;
  reason: string | null;
  next: GuardState;
}

/**
 * The mass-failure guard. A run is suspect when at least max_failing_fraction of the edges that passed
 * in the last run that was not suspect fail now, or when every control fails.
 */
export function assessGuard(prev: GuardState, edges: readonly string[], observations: ReadonlyMap<string, Observation>, controls: ReadonlyMap<string, boolean>, failValue: number, s: GuardSettings): GuardOutcome {
  const inList = new Set(edges);
  const base = prev.passedLastGood.filter((e) => inList.has(e) && observations.has(e));
  const failing = base.filter((e) => failed(observations.get(e), failValue));
  const fractionSuspect = base.length > 0 && failing.length / base.length >= s.maxFailingFraction;
  const controlsFailing = [...controls.values()].filter((ok) => !ok).length;
  const allControlsFail = controls.size > 0 && controlsFailing === controls.size;
  if (!fractionSuspect && !allControlsFail) {
    return { status: "clear", reason: null, next: { suspectRuns: 0, passedLastGood: edges.filter((e) => observations.has(e) && !failed(observations.get(e), failValue)) } };
  }
  const what = `${failing.length} of the ${base.length} edges that passed in the last good run fail now${allControlsFail ? `, and every control (${controls.size}) fails` : ""}`;
  if (controls.size > 0 && !allControlsFail) {
    return { status: "edges_failing", reason: `guard: ${what}, but ${controls.size - controlsFailing} of ${controls.size} controls answer: the edges really fail; the normal rules apply`, next: { ...prev, suspectRuns: 0 } };
  }
  const runs = prev.suspectRuns + 1;
  const next = { ...prev, suspectRuns: runs };
  const why = controls.size === 0 ? `${what} (no guard.control to tell the prober's network from the edges)` : what;
  if (prev.suspectRuns >= s.maxFrozenRuns) {
    return { status: "released", reason: `guard: ${why}; ${prev.suspectRuns} suspect runs in a row already (max_frozen_runs ${s.maxFrozenRuns}): letting go, the normal rules apply`, next };
  }
  return { status: "frozen", reason: `guard: mass failure suspected: ${why}; live set and zones kept as they were, this run's samples not recorded (suspect run ${runs} of at most ${s.maxFrozenRuns} frozen)`, next };
}

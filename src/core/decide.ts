import { type EdgeRecord, type Judgement, type NetworkState, emptySeries } from "./state.js";
import { type CanaryChoice, chooseCanaries, keepCanaries } from "./canaries.js";
import { type HistoryLimits, boundedPush, recordRotation } from "./history.js";
import { type Verdict, judge } from "./judge.js";
import type { Observation } from "./observation.js";
import { flapsOf, recordAll, streakOf } from "./records.js";
import { addForced } from "./rules/force.js";
import { fallBack } from "./rules/fallback.js";
import { fill } from "./rules/fill.js";
import { type GuardOutcome, type GuardSettings, assessGuard } from "./rules/guard.js";
import { limitChurn } from "./rules/churn.js";
import { keepStable } from "./rules/stability.js";
import { type RuleContext, type Selection, add, emptySelection, error } from "./selection.js";

export type { CanaryChoice } from "./canaries.js";
export type { Observation } from "./observation.js";

export interface DecideSettings {
  edgeCount: number;
  goodenough: number;
  /** The value a failed fetch is recorded as (the per-fetch timeout). */
  failValue: number;
  /** At most this many edge substitutions in any 10-minute window. */
  maxChangesPer10Min: number;
  canaryKiller: number;
  limits: HistoryLimits;
  /** Hysteresis (default 1 and 1: no hysteresis) and flap damping (null: off). */
  rise?: number;
  fall?: number;
  flapWindow?: number | null;
  flapLimit?: number | null;
  guard?: GuardSettings;
}

export interface DecideInput {
  now: number;
  edges: readonly string[];
  /** zone → canary address */
  canaries: ReadonlyMap<string, string>;
  /** address → observation; addresses not probed this run (cancelled canaries) are absent. */
  observations: ReadonlyMap<string, Observation>;
  /** guard.control URL → whether it answered this run. */
  controls?: ReadonlyMap<string, boolean>;
  previous: NetworkState;
  settings: DecideSettings;
}

export interface EdgeChange {
  edge: string;
  change: "join" | "stay" | "leave";
  reason: string;
}

export interface Decision {
  state: NetworkState;
  verdicts: Map<string, Verdict>;
  canaryVerdicts: Map<string, Verdict>;
  live: string[];
  changes: EdgeChange[];
  /** Why each edge that is neither joining nor staying is out. */
  outReasons: Map<string, string>;
  canaryFor: Map<string, CanaryChoice>;
  canariesDisabled: boolean;
  liveChanged: boolean;
  substitutions: number;
  guard: GuardOutcome;
  errors: string[];
}

const CHURN_WINDOW = 600;
const DEFAULT_GUARD: GuardSettings = { maxFailingFraction: 0.5, maxFrozenRuns: 5 };

/** The rules that choose the live set, in order; each is a pure step with its own table of tests. */
export const RULES: readonly ((sel: Selection, ctx: RuleContext) => Selection)[] = [keepStable, addForced, fill, fallBack, limitChurn];

/** A frozen run: the previous live set, exactly. */
const keepAsIs = (ctx: RuleContext): Selection => ctx.prevLive.reduce((s, e) => add(s, e, "guard: kept as it was"), emptySelection());

function contextFor(input: DecideInput, records: Record<string, EdgeRecord>, verdicts: Map<string, Verdict>): RuleContext {
  const { now, edges, previous, settings } = input;
  const flapWindow = settings.flapWindow ?? null;
  return {
    now,
    wanted: settings.edgeCount,
    edges,
    inList: new Set(edges),
    prevLive: previous.lastLive,
    prevSet: new Set(previous.lastLive),
    mode: (e) => records[e]?.mode ?? "available",
    judgement: (e): Judgement => verdicts.get(e)?.judgement ?? "fail",
    verdict: (e) => verdicts.get(e),
    average: (e) => verdicts.get(e)?.average ?? Number.POSITIVE_INFINITY,
    streak: (e) => streakOf(records[e]?.samples ?? emptySeries(), settings.failValue),
    flaps: (e) => (flapWindow === null ? 0 : flapsOf(records[e], now, flapWindow, settings.failValue)),
    settings: { rise: settings.rise ?? 1, fall: settings.fall ?? 1, flapWindow, flapLimit: settings.flapLimit ?? null, maxChangesPer10Min: settings.maxChangesPer10Min },
    recentSubstitutions: previous.substitutions.filter((t) => t > now - CHURN_WINDOW),
  };
}

/**
 * The pure core: from the previous state, the configuration and this run's observations, decide the
 * live set and canaries and compute the next state. No I/O, no clock: `now` is an input.
 * guard → record → judge → rules → canaries → next state.
 */
export function decide(input: DecideInput): Decision {
  const { now, edges, canaries, observations, previous, settings } = input;
  const guard = assessGuard(previous.guard, edges, observations, input.controls ?? new Map(), settings.failValue, settings.guard ?? DEFAULT_GUARD);
  const frozen = guard.status === "frozen";
  const record = (prev: Record<string, EdgeRecord>, addrs: Iterable<string>) => recordAll(prev, addrs, observations, now, settings.failValue, settings.limits, !frozen);
  const edgeRecords = record(previous.edges, edges);
  const canaryRecords = record(previous.canaries, new Set(canaries.values()));
  const verdicts = new Map(edges.map((e) => [e, judge(edgeRecords[e]!.samples, now, settings.goodenough, settings.failValue)]));
  const canaryVerdicts = new Map([...new Set(canaries.values())].map((a) => [a, judge(canaryRecords[a]!.samples, now, settings.goodenough, settings.failValue)]));

  const ctx = contextFor(input, edgeRecords, verdicts);
  let sel = frozen ? keepAsIs(ctx) : RULES.reduce((s, rule) => rule(s, ctx), emptySelection());
  if (guard.reason) sel = error(sel, guard.reason);
  const live = [...sel.live];
  const liveSet = new Set(live);
  const outReasons = new Map(sel.outReasons);
  for (const e of edges) {
    if (!liveSet.has(e) && !outReasons.has(e)) {
      outReasons.set(e, ctx.mode(e) === "unavailable" ? "mode unavailable (drained by operator)" : `not needed: judged ${ctx.judgement(e)}, mean ${ctx.average(e).toFixed(3)}s`);
    }
  }
  const removed = ctx.prevLive.filter((e) => !liveSet.has(e));
  const added = live.filter((e) => !ctx.prevSet.has(e));
  const substitutions = ctx.prevLive.length > 0 ? Math.min(removed.length, added.length) : 0;
  const changes: EdgeChange[] = [
    ...live.map((e) => ({ edge: e, change: ctx.prevSet.has(e) ? ("stay" as const) : ("join" as const), reason: sel.reasons.get(e)! })),
    ...removed.map((e) => ({ edge: e, change: "leave" as const, reason: outReasons.get(e) ?? "left" })),
  ];
  const liveChanged = live.length !== ctx.prevLive.length || added.length > 0;

  const canaryChoice = frozen ? { canaryFor: keepCanaries(canaries, previous), disabled: false } : chooseCanaries(canaries, canaryVerdicts, observations, settings.failValue, settings.canaryKiller);

  // Next state.
  for (const e of edges) {
    const rec = edgeRecords[e]!;
    const state = liveSet.has(e) ? "in" : "out";
    let next: EdgeRecord = { ...rec, health: ctx.judgement(e), state, changed: state !== rec.state ? now : rec.changed };
    if (state === "in" && rec.state !== "in") next = recordRotation(next, now, settings.limits);
    edgeRecords[e] = next;
  }
  for (const [addr, v] of canaryVerdicts) canaryRecords[addr] = { ...canaryRecords[addr]!, health: v.judgement };
  const state: NetworkState = {
    ...previous,
    lastRun: now,
    lastLive: live,
    rotations: liveChanged ? boundedPush(previous.rotations, now, settings.limits.rotations) : previous.rotations,
    substitutions: [...ctx.recentSubstitutions, ...Array<number>(substitutions).fill(now)],
    verificationFailures: [...observations].filter(([, o]) => o.outcome === "checksum").map(([a]) => a),
    edges: edgeRecords,
    canaries: canaryRecords,
    guard: guard.next,
  };
  return { state, verdicts, canaryVerdicts, live, changes, outReasons, canaryFor: canaryChoice.canaryFor, canariesDisabled: canaryChoice.disabled, liveChanged, substitutions, guard, errors: [...sel.errors] };
}

import { type EdgeRecord, type Judgement, type NetworkState, emptyEdge } from "../state/schema.js";
import { type HistoryLimits, boundedPush, recordRotation, recordSample } from "./history.js";
import { JUDGEMENT_RANK, type Verdict, judge } from "./judge.js";

/** What probing one address produced. `seconds` is the failure value for every failed outcome. */
export interface Observation {
  seconds: number;
  outcome: "ok" | "timeout" | "deadline" | "refused" | "http_error" | "checksum" | "too_large" | "error";
  detail?: string;
}

export interface DecideSettings {
  edgeCount: number;
  goodenough: number;
  /** The value a failed fetch is recorded as (the per-fetch timeout). */
  failValue: number;
  /** At most this many edge substitutions in any 10-minute window. */
  maxChangesPer10Min: number;
  canaryKiller: number;
  limits: HistoryLimits;
}

export interface DecideInput {
  now: number;
  edges: readonly string[];
  /** zone → canary address */
  canaries: ReadonlyMap<string, string>;
  /** address → observation; addresses not probed this run (cancelled canaries) are absent. */
  observations: ReadonlyMap<string, Observation>;
  previous: NetworkState;
  settings: DecideSettings;
}

export interface EdgeChange {
  edge: string;
  change: "join" | "stay" | "leave";
  reason: string;
}

export interface CanaryChoice {
  address: string | null;
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
  errors: string[];
}

const CHURN_WINDOW = 600;
/** Edges gone from the edge list are forgotten once they have not been probed for this long. */
const FORGET_AFTER = 7 * 24 * 3600;

function failed(o: Observation | undefined, failValue: number): boolean {
  return o !== undefined && (o.outcome !== "ok" || o.seconds >= failValue);
}

/** Samples the observations into a copy of the records; records not observed are kept if recent. */
function recordAll(
  previous: Record<string, EdgeRecord>,
  addresses: Iterable<string>,
  input: DecideInput,
): Record<string, EdgeRecord> {
  const { now, observations, settings } = input;
  const wanted = new Set(addresses);
  const next: Record<string, EdgeRecord> = {};
  for (const [addr, rec] of Object.entries(previous)) {
    const lastSeen = rec.samples.at(-1)?.[0] ?? 0;
    if (wanted.has(addr) || now - lastSeen < FORGET_AFTER || rec.mode !== "available") next[addr] = rec;
  }
  for (const addr of wanted) {
    const rec = next[addr] ?? emptyEdge();
    const o = observations.get(addr);
    // Whole-second sample times: enough for the 300 s window, and they compress to almost nothing.
    next[addr] = o ? recordSample(rec, Math.floor(now), Math.min(o.seconds, settings.failValue), settings.limits) : rec;
  }
  return next;
}

/**
 * The pure core: from the previous state, the configuration and this run's observations, decide the
 * live set and canaries and compute the next state. No I/O, no clock: `now` is an input.
 */
export function decide(input: DecideInput): Decision {
  const { now, edges, canaries, observations, previous, settings } = input;
  const N = settings.edgeCount;
  const errors: string[] = [];
  const edgeRecords = recordAll(previous.edges, edges, input);
  const canaryRecords = recordAll(previous.canaries, new Set(canaries.values()), input);

  const verdicts = new Map<string, Verdict>();
  for (const e of edges) verdicts.set(e, judge(edgeRecords[e]!.samples, now, settings.goodenough, settings.failValue));
  const mode = (e: string) => edgeRecords[e]?.mode ?? "available";
  const judgement = (e: string): Judgement => verdicts.get(e)?.judgement ?? "fail";
  const average = (e: string) => verdicts.get(e)?.average ?? Number.POSITIVE_INFINITY;
  const inList = new Set(edges);
  const prevLive = previous.lastLive;
  const prevSet = new Set(prevLive);

  const live: string[] = [];
  const reasons = new Map<string, string>();
  const outReasons = new Map<string, string>();
  /** Edges that joined by filling, in the order they were chosen (the last one is the weakest). */
  const filled: string[] = [];
  const add = (e: string, reason: string) => {
    live.push(e);
    reasons.set(e, reason);
    outReasons.delete(e);
  };

  // Stability first: previously live edges that are still pass_threshold stay.
  for (const e of prevLive) {
    if (!inList.has(e)) outReasons.set(e, "no longer in the edge list");
    else if (mode(e) === "unavailable") outReasons.set(e, "mode unavailable (drained by operator)");
    else if (judgement(e) !== "pass_threshold") outReasons.set(e, `judged ${judgement(e)}: ${verdicts.get(e)!.reason}`);
    else if (live.length < N) add(e, `was live and still pass_threshold: ${verdicts.get(e)!.reason}`);
  }

  // Operator intent: forced edges join even when that takes the set over N.
  for (const e of edges) {
    if (live.includes(e)) continue;
    if (mode(e) === "blindforce") add(e, "mode blindforce: published regardless of health");
    else if (mode(e) === "force") {
      if (judgement(e) !== "fail") add(e, `mode force and not failing (${judgement(e)})`);
      else outReasons.set(e, `mode force but failing: ${verdicts.get(e)!.reason}`);
    }
  }
  // Fill from the best judged: judgement order, then lowest mean, then name for a stable order.
  const candidates = edges
    .filter((e) => !live.includes(e) && mode(e) === "available" && judgement(e) !== "fail")
    .sort((a, b) => JUDGEMENT_RANK[judgement(a)] - JUDGEMENT_RANK[judgement(b)] || average(a) - average(b) || a.localeCompare(b));
  for (const e of candidates) {
    if (live.length >= N) break;
    add(e, `best available: judged ${judgement(e)}, mean ${average(e).toFixed(3)}s`);
    filled.push(e);
  }

  // Never publish fewer than we can: fall back to previously live edges, failing or not.
  if (live.length < N) {
    const healthy = live.length;
    const fallback = prevLive.filter((e) => !live.includes(e) && inList.has(e) && mode(e) !== "unavailable");
    for (const e of fallback) {
      if (live.length >= N) break;
      add(e, `kept though judged ${judgement(e)}: not enough healthy edges to reach ${N}`);
    }
    if (live.length > healthy) errors.push(`only ${healthy} healthy edges for ${N} places: kept ${live.length - healthy} previously live edge(s) that are failing`);
    if (live.length < N) errors.push(`only ${live.length} of ${N} wanted edges could be published`);
  }
  if (live.length === 0 && prevLive.length > 0) {
    errors.push("no edge is fit to publish: keeping the previous live set unchanged");
    for (const e of prevLive) {
      add(e, "kept: nothing else to publish");
    }
  }

  // dnschange_maxfreq: failing edges are replaced regardless; healthy-but-slower swaps wait for budget.
  const isFailingOut = (e: string) => !inList.has(e) || mode(e) === "unavailable" || judgement(e) === "fail";
  const recent = previous.substitutions.filter((t) => t > now - CHURN_WINDOW);
  if (prevLive.length > 0) {
    const removed = prevLive.filter((e) => !live.includes(e));
    const added = live.filter((e) => !prevSet.has(e));
    const forcedSwaps = Math.min(removed.filter(isFailingOut).length, added.length);
    let budget = settings.maxChangesPer10Min - recent.length - forcedSwaps;
    const healthyRemoved = removed.filter((e) => !isFailingOut(e)).sort((a, b) => JUDGEMENT_RANK[judgement(a)] - JUDGEMENT_RANK[judgement(b)] || average(a) - average(b));
    for (const e of healthyRemoved) {
      const swapOut = filled.filter((f) => !prevSet.has(f) && live.includes(f)).at(-1);
      if (swapOut === undefined) break;
      if (budget > 0) {
        budget--;
        continue;
      }
      live.splice(live.indexOf(swapOut), 1);
      reasons.delete(swapOut);
      outReasons.set(swapOut, `would join, but dnschange_maxfreq (${settings.maxChangesPer10Min} per 10 min) is used up`);
      add(e, `stays though judged ${judgement(e)}: dnschange_maxfreq (${settings.maxChangesPer10Min} per 10 min) is used up`);
    }
  }
  const removedFinal = prevLive.filter((e) => !live.includes(e));
  const addedFinal = live.filter((e) => !prevSet.has(e));
  const substitutions = prevLive.length > 0 ? Math.min(removedFinal.length, addedFinal.length) : 0;

  for (const e of edges) {
    if (!live.includes(e) && !outReasons.has(e)) {
      outReasons.set(e, mode(e) === "unavailable" ? "mode unavailable (drained by operator)" : `not needed: judged ${judgement(e)}, mean ${average(e).toFixed(3)}s`);
    }
  }
  const changes: EdgeChange[] = [
    ...live.map((e) => ({ edge: e, change: prevSet.has(e) ? ("stay" as const) : ("join" as const), reason: reasons.get(e)! })),
    ...removedFinal.map((e) => ({ edge: e, change: "leave" as const, reason: outReasons.get(e) ?? "left" })),
  ];
  const liveChanged = live.length !== prevLive.length || live.some((e) => !prevSet.has(e));

  // Canaries: judged on their own, never live; a failing crowd of them disables all for this run.
  const canaryVerdicts = new Map<string, Verdict>();
  for (const addr of new Set(canaries.values())) canaryVerdicts.set(addr, judge(canaryRecords[addr]!.samples, now, settings.goodenough, settings.failValue));
  const canaryFailures = [...new Set(canaries.values())].filter((a) => failed(observations.get(a), settings.failValue)).length;
  const canariesDisabled = canaries.size > 0 && canaryFailures >= settings.canaryKiller;
  const canaryFor = new Map<string, CanaryChoice>();
  for (const [zone, addr] of canaries) {
    const v = canaryVerdicts.get(addr)!;
    if (canariesDisabled) canaryFor.set(zone, { address: null, reason: `all canaries disabled: ${canaryFailures} failed (canary_killer ${settings.canaryKiller})` });
    else if (!observations.has(addr)) canaryFor.set(zone, { address: null, reason: "canary not probed this run" });
    else if (v.judgement === "pass_threshold" || v.judgement === "pass_window") canaryFor.set(zone, { address: addr, reason: `canary ${addr} judged ${v.judgement}` });
    else canaryFor.set(zone, { address: null, reason: `canary ${addr} judged ${v.judgement}: ${v.reason}` });
  }

  // Next state.
  const liveSet = new Set(live);
  for (const e of edges) {
    const rec = edgeRecords[e]!;
    const state = liveSet.has(e) ? "in" : "out";
    let next: EdgeRecord = { ...rec, health: judgement(e), state, changed: state !== rec.state ? now : rec.changed };
    if (state === "in" && rec.state !== "in") next = recordRotation(next, now, settings.limits);
    edgeRecords[e] = next;
  }
  for (const [addr, v] of canaryVerdicts) canaryRecords[addr] = { ...canaryRecords[addr]!, health: v.judgement };
  let substitutionTimes = recent;
  for (let i = 0; i < substitutions; i++) substitutionTimes = [...substitutionTimes, now];
  const state: NetworkState = {
    ...previous,
    lastRun: now,
    lastLive: live,
    rotations: liveChanged ? boundedPush(previous.rotations, now, settings.limits.rotations) : previous.rotations,
    substitutions: substitutionTimes,
    verificationFailures: [...observations].filter(([, o]) => o.outcome === "checksum").map(([a]) => a),
    edges: edgeRecords,
    canaries: canaryRecords,
  };
  return { state, verdicts, canaryVerdicts, live, changes, outReasons, canaryFor, canariesDisabled, liveChanged, substitutions, errors };
}

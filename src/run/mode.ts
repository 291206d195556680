import type { Logger } from "pino";
import type { NetworkSettings } from "../config/load.js";
import type { Observation } from "../core/observation.js";
import { combineVantages, sameInterval } from "../core/quorum.js";
import type { NetworkState } from "../core/state.js";
import type { RunReport } from "../metrics/report.js";
import type { Loaded, StateStore } from "../state/store.js";
import { type Committer, fileCommitter, vantageCommitter } from "./commit.js";
import type { RunPlan } from "./plan.js";
import type { ZoneTransport } from "./transport.js";
import { vantagePlanLines } from "./report.js";

/** Runs closer together than this are refused unless --force (protects against double scheduling). */
export const MIN_SECONDS_BETWEEN_RUNS = 30;

export interface Combined {
  /** Edges and canaries → the observation the decision uses. */
  observations: Map<string, Observation>;
  /** For the printed plan. */
  lines: string[];
  vantage: RunReport["vantage"];
}

/**
 * What differs between a single prober and one of several vantage points, in one place: how close
 * runs may be, whose observations count, whether this run decides, and how a plan is committed.
 */
export interface Mode {
  readonly minSpacing: number;
  /** This run's observations, combined with the other vantages' (shared with them when `share`). */
  combine(own: Map<string, Observation>, edges: readonly string[], now: number, share: boolean): Promise<Combined>;
  /** The combination when it needs nothing but this run's observations (a plan can then be made ahead), else null. */
  combineNow(own: Map<string, Observation>): Combined | null;
  /** The decision this run adopts instead of deciding (another vantage's, of this interval), or null. */
  committed(previous: NetworkState, now: number): NetworkState | null;
  committer(store: StateStore, loaded: Loaded, now: number, replan: (committed: NetworkState) => Promise<RunPlan>, transport: ZoneTransport): Committer;
}

function singleProber(s: NetworkSettings, log: Logger): Mode {
  const combineNow = (own: Map<string, Observation>): Combined => ({ observations: own, lines: [], vantage: undefined });
  return {
    minSpacing: MIN_SECONDS_BETWEEN_RUNS,
    combine: async (own) => combineNow(own),
    combineNow,
    committed: () => null,
    committer: (store, loaded, _now, _replan, transport) => fileCommitter(s, store, loaded, log, transport),
  };
}

async function vantagePoint(s: NetworkSettings, v: NonNullable<NetworkSettings["config"]["vantage"]>, log: Logger): Promise<Mode> {
  // The AWS SDK is loaded only by the modes that use it.
  const [{ ObservationExchange }, { s3ClientFor }] = await Promise.all([import("../vantage/exchange.js"), import("../state/s3-store.js")]);
  const exchange = new ObservationExchange(s3ClientFor(s.s3!), s.s3!.bucket, s.s3!.observationsKey!, s.dnet, log);
  return {
    minSpacing: 0,
    async combine(own, edges, now, share) {
      const mine = new Map(edges.flatMap((e) => (own.has(e) ? [[e, own.get(e)!] as const] : [])));
      if (share) await exchange.put({ name: v.name, time: now, observations: mine });
      const others = await Promise.all(v.peers.filter((p) => p !== v.name).map((p) => exchange.get(p)));
      const c = combineVantages({ name: v.name, time: now, observations: mine }, others, v.peers, now, v.stale_after, v.quorum, s.config.timeout);
      for (const [peer, why] of c.stale) log.warn({ vantage: peer, why }, `vantage ${peer} is stale (${why}): ignored`);
      if (c.warning) log.warn({ fresh: c.fresh, quorum: v.quorum }, c.warning);
      log.info({ fresh: c.fresh, quorum: c.quorum }, `${c.fresh.length} of ${v.peers.length} vantages fresh: ${c.fresh.join(", ")}`);
      for (const d of c.disagreements) log.info({ edge: d.edge, views: d.views, result: d.result }, `vantages disagree on ${d.edge}: ${Object.entries(d.views).map(([n, x]) => `${n} ${x}`).join(", ")} -> ${d.result}`);
      const observations = new Map(own);
      for (const [e, o] of c.observations) observations.set(e, o);
      return { observations, lines: vantagePlanLines(c, v.peers.length), vantage: { fresh: c.fresh.length, peers: v.peers.length, adoptedFrom: null, freshness: new Map(v.peers.map((p) => [p, c.fresh.includes(p)])) } };
    },
    // The others' shares are read once this run's own is out.
    combineNow: () => null,
    committed(previous, now) {
      if (!sameInterval(previous.lastRun, now, v.interval)) return null;
      log.info({ decidedBy: previous.decidedBy, live: previous.lastLive }, `this interval's decision was made by vantage ${previous.decidedBy ?? "another vantage"}: adopting it`);
      return previous;
    },
    committer: (store, loaded, now, replan, transport) => vantageCommitter(s, store, loaded, log, transport, { name: v.name, interval: v.interval, now }, replan),
  };
}

/** The mode of this network's runs, chosen once from its settings. */
export async function modeFor(s: NetworkSettings, log: Logger): Promise<Mode> {
  const v = s.config.vantage;
  return v ? vantagePoint(s, v, log) : singleProber(s, log);
}

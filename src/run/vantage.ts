import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import type { NetworkSettings } from "../config/load.js";
import type { Decision, Observation } from "../core/decide.js";
import { type Combined, combineVantages } from "../core/quorum.js";
import type { RunReport } from "../metrics/report.js";
import { makeS3Client } from "../state/s3-store.js";
import type { NetworkState } from "../state/schema.js";
import { type Loaded, type StateStore, StateStoreError } from "../state/store.js";
import { ObservationExchange } from "../vantage/exchange.js";
import { type ZoneChecker, checkPlans } from "../zone/check.js";
import { type ZonePlan, planAdopted } from "../zone/render.js";
import { writeOutputs } from "./outputs.js";

type Vantage = NonNullable<NetworkSettings["config"]["vantage"]>;

/** One decision per interval: a state already written in this interval was decided by another vantage. */
export const sameInterval = (lastRun: number | null, now: number, interval: number) => lastRun !== null && Math.floor(lastRun / interval) === Math.floor(now / interval);

/** Saves this vantage's observations (not in a dry run), reads the others', combines them. */
export async function exchangeAndCombine(s: NetworkSettings, v: Vantage, own: ReadonlyMap<string, Observation>, now: number, dryRun: boolean, log: Logger): Promise<Combined & { exchange: ObservationExchange }> {
  const st = s.config.state;
  const exchange = new ObservationExchange(makeS3Client({ region: st.region, endpoint: st.endpoint, forcePathStyle: st.force_path_style }), st.bucket!, v.observations_key.replaceAll("{dnet}", s.dnet), s.dnet, log);
  const self = { name: v.name, time: now, observations: own };
  if (!dryRun) await exchange.put(self);
  const others = await Promise.all(v.peers.filter((p) => p !== v.name).map((p) => exchange.get(p)));
  const combined = combineVantages(self, others, v.peers, now, v.stale_after, v.quorum, s.config.timeout);
  for (const [peer, why] of combined.stale) log.warn({ vantage: peer, why }, `vantage ${peer} is stale (${why}): ignored`);
  if (combined.warning) log.warn({ fresh: combined.fresh, quorum: v.quorum }, combined.warning);
  log.info({ fresh: combined.fresh, quorum: combined.quorum }, `${combined.fresh.length} of ${v.peers.length} vantages fresh: ${combined.fresh.join(", ")}`);
  for (const d of combined.disagreements) log.info({ edge: d.edge, views: d.views, result: d.result }, `vantages disagree on ${d.edge}: ${Object.entries(d.views).map(([n, x]) => `${n} ${x}`).join(", ")} -> ${d.result}`);
  return { ...combined, exchange };
}

export interface AdoptInput {
  s: NetworkSettings;
  committed: NetworkState;
  includes: ReadonlyMap<string, string>;
  template: string;
  checker: ZoneChecker | null;
  log: Logger;
  dryRun: boolean;
}

/** Renders this cluster's zones from another vantage's committed decision; saves no state. */
export async function adopt(a: AdoptInput): Promise<{ exitCode: number; zones: ZonePlan[]; written: string[] }> {
  const { s, committed, log } = a;
  const by = committed.decidedBy ?? "another vantage";
  log.info({ decidedBy: by, live: committed.lastLive }, `this interval's decision was made by vantage ${by}: adopting it`);
  const file = (d: string) => join(s.namedDir, `${d}.zone`);
  const planned = planAdopted({ dnet: s.dnet, template: a.template, dns: s.config.dns, includes: a.includes, records: committed.zones, decidedBy: by, current: (d) => (existsSync(file(d)) ? readFileSync(file(d), "utf8") : null) });
  const zones = await checkPlans(planned, a.checker);
  if (a.dryRun) return { exitCode: 0, zones, written: [] };
  return { ...writeOutputs(s, zones, committed.lastLive, log), zones };
}

/**
 * A vantage that decided saves first: the conditional PUT picks one decision per interval. Having won,
 * it writes its zones; having lost to a decision of this interval, it adopts that one instead.
 */
export async function saveThenWrite(
  a: AdoptInput & { store: StateStore; loaded: Loaded; decision: Decision; zones: ZonePlan[]; report: RunReport | undefined; vantage: Vantage; now: number },
): Promise<{ exitCode: number; zones: ZonePlan[]; written: string[]; adoptedFrom: string | null }> {
  const { store, loaded, decision, zones, log, report } = a;
  const records: NetworkState["zones"] = { ...loaded.state.zones };
  for (const z of zones) if (z.write) records[z.domain] = z.record;
  try {
    await store.save({ ...decision.state, zones: records, decidedBy: a.vantage.name }, loaded);
    if (report) report.stateSave = "saved";
    log.info({ state: store.describe(), decidedBy: a.vantage.name }, "state saved: this vantage's decision is this interval's");
  } catch (err) {
    if (!(err instanceof StateStoreError && err.outcome === "conflict")) {
      if (report) report.stateSave = "failed";
      throw err;
    }
    if (report) report.stateSave = "lost_race";
    const again = await store.load(a.s.dnet);
    if (!sameInterval(again.state.lastRun, a.now, a.vantage.interval)) throw err;
    log.warn({ decidedBy: again.state.decidedBy }, `another vantage committed this interval's decision first (${again.state.decidedBy}): adopting it, saving nothing`);
    return { ...(await adopt({ ...a, committed: again.state })), adoptedFrom: again.state.decidedBy };
  }
  return { ...writeOutputs(a.s, zones, decision.live, log), zones, adoptedFrom: null };
}

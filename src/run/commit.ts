import type { Logger } from "pino";
import type { NetworkSettings } from "../config/load.js";
import type { NetworkState } from "../core/state.js";
import { sameInterval } from "../core/quorum.js";
import type { SaveOutcome } from "../metrics/report.js";
import { type Loaded, type StateStore, StateStoreError } from "../state/store.js";
import { errorMessage } from "../util/errors.js";
import { shasOf } from "../zone/manifest.js";
import { type Written, withZoneRecords, writeOutputs } from "./outputs.js";
import type { RunPlan } from "./plan.js";
import type { ZoneTransport } from "./transport.js";

/** What a committer did with a plan. */
export interface Applied extends Written {
  /** The plan carried out: a vantage that lost the race carries out the winner's decision instead. */
  plan: RunPlan;
  stateSave: SaveOutcome;
  /** The state could not be saved: the run fails with this. */
  failure: Error | null;
}

/** Carries out a plan: each mode (single prober, vantage) has its own order of writing and saving. */
export interface Committer {
  commit(plan: RunPlan): Promise<Applied>;
}

async function save(store: StateStore, state: NetworkState, loaded: Loaded, log: Logger, message = "state saved"): Promise<{ stateSave: SaveOutcome; failure: Error | null }> {
  try {
    await store.save(state, loaded);
    log.info({ state: store.describe(), decidedBy: state.decidedBy ?? undefined }, message);
    return { stateSave: "saved", failure: null };
  } catch (err) {
    log.error({ state: store.describe(), err: errorMessage(err) }, "state NOT saved");
    return { stateSave: err instanceof StateStoreError && err.outcome === "conflict" ? "lost_race" : "failed", failure: err instanceof Error ? err : new Error(String(err)) };
  }
}

/** A plan that adopts another vantage's decision: its zones are written, nothing is saved. */
const writeOnly = (s: NetworkSettings, plan: RunPlan, log: Logger): Applied => ({ plan, ...writeOutputs(s, plan, log), stateSave: "not_attempted", failure: null });

/** Writes the plan's outputs, then uploads its zones (zone_transport s3/both): a failed upload fails the run and is retried next run. */
async function writeAndUpload(s: NetworkSettings, plan: RunPlan, transport: ZoneTransport, log: Logger): Promise<Written & { inBucket: Map<string, string> }> {
  const out = writeOutputs(s, plan, log);
  const up = await transport.upload(plan.upload, out.written);
  return { written: out.written, errors: [...out.errors, ...up.errors], inBucket: up.inBucket };
}


/** A single prober writes its outputs and uploads its zones, then saves the state with the records of what it wrote. */
export function fileCommitter(s: NetworkSettings, store: StateStore, loaded: Loaded, log: Logger, transport: ZoneTransport): Committer {
  return {
    async commit(plan) {
      if (plan.state === null) return writeOnly(s, plan, log);
      const { inBucket, ...out } = await writeAndUpload(s, plan, transport, log);
      return { plan, ...out, ...(await save(store, withZoneRecords(plan.state, plan.zones, out.written, inBucket), loaded, log)) };
    },
  };
}

/**
 * A vantage saves first: the conditional PUT picks one decision per interval. Having won, it writes
 * its zones; having lost to a decision of this interval, it carries out that one instead (`replan`).
 */
export function vantageCommitter(s: NetworkSettings, store: StateStore, loaded: Loaded, log: Logger, transport: ZoneTransport, vantage: { name: string; interval: number; now: number }, replan: (committed: NetworkState) => Promise<RunPlan>): Committer {
  return {
    async commit(plan) {
      if (plan.state === null) return writeOnly(s, plan, log);
      const planned = plan.zones.filter((z) => z.write).map((z) => z.domain);
      // Saved before uploading, with what the bucket held when the run planned: the next decider reads
      // the manifest to learn what this one uploaded.
      const saved = await save(store, { ...withZoneRecords(plan.state, plan.zones, planned, shasOf(plan.upload?.known ?? new Map())), decidedBy: vantage.name }, loaded, log, "state saved: this vantage's decision is this interval's");
      const nothingWritten = { plan, written: [], errors: [], ...saved };
      if (saved.stateSave !== "lost_race") {
        if (saved.failure) return nothingWritten;
        const { inBucket: _, ...out } = await writeAndUpload(s, plan, transport, log);
        return { plan, ...out, stateSave: "saved", failure: null };
      }
      const again = await store.load(s.dnet);
      if (!sameInterval(again.state.lastRun, vantage.now, vantage.interval)) return nothingWritten;
      log.warn({ decidedBy: again.state.decidedBy }, `another vantage committed this interval's decision first (${again.state.decidedBy}): adopting it, saving nothing`);
      return { ...writeOnly(s, await replan(again.state), log), stateSave: "lost_race" };
    },
  };
}

import type { Logger } from "pino";
import type { NetworkSettings } from "../config/load.js";
import type { RunReport } from "../metrics/report.js";
import { encodeRecordsAhead } from "../state/codec.js";
import type { StateStore } from "../state/store.js";
import { holdLines } from "../util/log.js";
import { zoneCheckerFor } from "../zone/check.js";
import { type PlanBase, type RunPlan, checkPlan, decideNetwork, planAdopted, planDecided, planUploads } from "./plan.js";
import { type AheadOutcome, Ahead } from "./ahead.js";
import { type CurrentOutputs, type Probed, loadState, probeNetwork, readCurrentOutputs, readInputs } from "./gather.js";
import { type Combined, modeFor } from "./mode.js";
import { recordsOnDisk } from "./outputs.js";
import { logDecision, logPlan } from "./report.js";
import { type Finished, sessionFor } from "./session.js";
import { signPlan, signerFor } from "./sign.js";
import { zoneTransportFor } from "./transport.js";

export interface RunOptions {
  dryRun: boolean;
  force: boolean;
  forceUpdate: boolean;
  /** --adopt: take over zone files that carry no ownership line. */
  adopt?: boolean;
  /** Aborted on SIGTERM: open probes stop and the run ends before writing anything. */
  signal?: AbortSignal;
  /** The decision's clock (epoch milliseconds), injectable: EDGEMANAGE_NOW. Deadlines use the real one. */
  clock?: () => number;
}

export interface RunResult {
  exitCode: number;
  /** What the run did, for the metrics: built from the plan and what applying it returned. */
  report: RunReport;
  /** Why the run failed after planning (the state could not be saved), or null. */
  failure: Error | null;
}

/** One run for one network: gather → decide → plan → apply → verify (a dry run prints the plan instead of applying it). */
export async function runOnce(s: NetworkSettings, store: StateStore, opts: RunOptions, log: Logger, print: (text: string) => void): Promise<RunResult> {
  const started = Date.now();
  const now = (opts.clock?.() ?? started) / 1000;
  if (s.unknownKeys.length) log.warn({ file: s.configPath, keys: s.unknownKeys.slice(0, 20), count: s.unknownKeys.length }, "configuration has keys this version does not know; they are ignored (check for typos)");
  const session = sessionFor(s, opts, log, print);
  const [mode, transport] = await Promise.all([modeFor(s, log), zoneTransportFor(s, log)]);
  const inputs = readInputs(s, log);
  const checker = zoneCheckerFor(s.config.zone_check, s.configPath);
  if (!checker && s.config.zone_check === "auto") log.warn("named-checkzone is not on PATH: zones are written unchecked (install bind9-utils, or set zone_check: never to silence this)");
  const domains = [...inputs.includes.keys()];
  const signer = signerFor(s, domains);
  const release = session.lock();
  try {
    const loaded = await loadState(store, s.dnet, now, log);
    session.spacing(loaded.state.lastRun, now, mode.minSpacing);
    log.info({ dnet: s.dnet, edges: inputs.edges.length, canaries: inputs.canaries.size, zones: inputs.includes.size, state: loaded.source }, "run started");
    await session.hook("run_before");
    const sign = signer?.facts() ?? null;
    // Read when probing ends, and for a plan made ahead when probing has gone quiet.
    const gather = async (probed: Probed, combined: Combined): Promise<Gathered> => ({ probed, combined, current: readCurrentOutputs(s, domains), known: await transport.known(loaded.state, domains) });
    const baseOf = (g: Gathered): PlanBase => ({ s, inputs, current: g.current, source: loaded.source, now, previous: loaded.state, forceUpdate: opts.forceUpdate, adopt: opts.adopt || s.config.adopt_zones, vantageLines: g.combined.lines, known: g.known, sign });
    // A plan, its state's records encoded for saving, and its decision's log lines held until it is the
    // run's plan (one made ahead may not be).
    const planned = async (g: Gathered) => {
      const base = baseOf(g);
      const signed = await signPlan(planDecided(base, decideNetwork(base, g.combined.observations, g.probed.controls), g.probed), signer, loaded.state, s.config.dnssec.allow_unsigned);
      const plan = planUploads(await checkPlan(signed, checker), base);
      if (plan.state) encodeRecordsAhead(plan.state);
      const decisionLines = holdLines(log, () => {
        if (plan.decision) logDecision(plan.decision, log);
      });
      return { plan, decisionLines };
    };
    const ahead = new Ahead(planned, readOf);
    const probed = await probeNetwork(s, inputs, loaded.state, started, opts.signal, log, (provisional) => {
      const combined = mode.combineNow(provisional.observations);
      if (combined) ahead.start(gather(provisional, combined));
    });
    // Read once: a vantage that loses the race re-plans before it writes anything, so the files are the same.
    const gathered = await gather(probed, await mode.combine(probed.observations, inputs.edges, now, session.shares));
    const { combined } = gathered;
    const adopt = async (committed: typeof loaded.state) => checkPlan(planAdopted(baseOf(gathered), committed), checker);
    const committed = mode.committed(loaded.state, now);
    let plan: RunPlan;
    if (committed) plan = await adopt(committed);
    else {
      const made = await ahead.take(gathered);
      log.debug({ ahead: made.outcome }, AHEAD[made.outcome]);
      const { plan: decidedPlan, decisionLines } = made.result ?? (await planned(gathered));
      decisionLines.write();
      plan = decidedPlan;
    }
    logPlan(plan, log);
    const finished = await session.finish(plan, mode.committer(store, loaded, now, adopt, transport));
    return resultOf(s, plan, finished, { observations: combined.observations, vantage: combined.vantage });
  } finally {
    release();
  }
}

/** What a plan is made from, gathered during the run: a plan made ahead is the plan when what was read of it is equal. */
interface Gathered {
  probed: Probed;
  combined: Combined;
  current: CurrentOutputs;
  known: PlanBase["known"];
}

/**
 * What of a gathered input the run read, compared for a plan made ahead: each address's result, the
 * controls' answers, the files, the bucket's manifest. The edges' observations are folded from those,
 * and combined by a mode that can plan ahead from this run's observations alone (Mode.combineNow).
 */
const readOf = (g: Gathered) => [g.probed.byAddress, g.probed.controls, g.current, g.known];

const AHEAD: Record<AheadOutcome, string> = {
  none: "no plan made ahead: probing did not go quiet before it ended",
  taken: "the plan made ahead is the plan: every probe still open then timed out as counted",
  stale: "planned again: probes ended otherwise than counted when the plan was made ahead",
  failed: "planned again: planning ahead failed",
};

/** The serial of every zone file as it is on disk after the run, and the expiry of its signatures. */
function onDisk(plan: RunPlan, written: readonly string[]): Pick<RunReport, "writtenSerials" | "signedUntil"> {
  const records = [...recordsOnDisk(plan, written)];
  return { writtenSerials: new Map(records.map(([d, r]) => [d, r.serial])), signedUntil: new Map(records.flatMap(([d, r]) => (r.signedUntil === undefined ? [] : [[d, r.signedUntil] as const]))) };
}

/** The run's exit code and report, from the plan and what was applied. */
function resultOf(s: NetworkSettings, plan: RunPlan, f: Finished, probe: Pick<RunReport, "observations" | "vantage">): RunResult {
  const applied = f.applied;
  const done = applied?.plan ?? plan;
  const refused = done.zones.some((z) => z.refused !== undefined);
  const failed = refused || (applied !== null && (applied.errors.length > 0 || applied.failure !== null)) || f.verifyErrors.length > 0;
  const vantage = probe.vantage && { ...probe.vantage, adoptedFrom: done.adoptedFrom };
  const written = applied?.written ?? [];
  const report: RunReport = { dnet: s.dnet, wanted: s.edgeCount, observations: probe.observations, decision: plan.decision ?? undefined, zones: done.zones, written, ...onDisk(done, written), stateSave: applied?.stateSave ?? "not_attempted", vantage };
  return { exitCode: failed ? 1 : 0, report, failure: applied?.failure ?? null };
}

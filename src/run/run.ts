import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { type NetworkSettings } from "../config/load.js";
import { readCanaries, readEdgeLists, readZoneIncludes } from "../config/inputs.js";
import { edgeObservations, publishableAddresses } from "../core/addresses.js";
import { certWarnings } from "../core/certs.js";
import { type Decision, type Observation, decide } from "../core/decide.js";
import type { Config } from "../config/schema.js";
import { DEFAULT_LIMITS } from "../core/history.js";
import { probeControls } from "../probe/controls.js";
import { DEFAULT_CONCURRENCY, type ProbeSettings, type ProbeTarget, md5, probeAll } from "../probe/probe.js";
import type { NetworkState } from "../state/schema.js";
import type { StateStore } from "../state/store.js";
import { OperatorError, errorMessage } from "../util/errors.js";
import { checkPlans, zoneCheckerFor } from "../zone/check.js";
import { DEFAULT_TEMPLATE_URL, type ZonePlan, planZones } from "../zone/render.js";
import type { RunReport } from "../metrics/report.js";
import { StateStoreError } from "../state/store.js";
import { runCommands } from "./commands.js";
import { currentLiveList, liveListText, writeOutputs } from "./outputs.js";
import { formatAdoptedPlan, formatPlan, logDecision, vantagePlanLines } from "./report.js";
import { adopt, exchangeAndCombine, sameInterval, saveThenWrite } from "./vantage.js";
import { acquireLock } from "./lock.js";
import { resolveHosts } from "./resolve.js";

export interface RunOptions {
  dryRun: boolean;
  force: boolean;
  forceUpdate: boolean;
  /** Aborted on SIGTERM: open probes stop and the run ends before writing anything. */
  signal?: AbortSignal;
  /** Filled in as the run goes, for the metrics. */
  report?: RunReport;
}

export interface RunResult {
  exitCode: number;
  /** Absent when this run adopted another vantage's decision. */
  decision?: Decision;
  zones: ZonePlan[];
  written: string[];
}

function probeSettings(c: Config, expectedMd5: string, concurrency: number): ProbeSettings {
  const t = c.testobject;
  return { proto: t.proto, host: t.host, port: t.port, uri: t.uri, verify: t.verify, maxBytes: t.max_bytes, timeout: c.timeout, retry: c.retry, userAgent: c.user_agent, expectedMd5, concurrency, sourceAddress: c.probe.source_address };
}

/** Runs closer together than this are refused unless --force (protects against double scheduling). */
export const MIN_SECONDS_BETWEEN_RUNS = 30;

function readRequired(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new OperatorError(`${file}: cannot read ${key} (${errorMessage(err)}); fix ${key} in the configuration`, 2);
  }
}

/**
 * One run for one network: load state, probe, decide (pure), render (pure), then apply — or, in a
 * dry run, print the plan and write nothing.
 */
export async function runOnce(s: NetworkSettings, store: StateStore, opts: RunOptions, log: Logger, print: (text: string) => void): Promise<RunResult> {
  const c = s.config;
  const started = Date.now();
  const now = started / 1000;
  if (s.unknownKeys.length) log.warn({ file: s.configPath, keys: s.unknownKeys }, "configuration has keys this version does not know; they are ignored (check for typos)");

  const { edges, problems } = readEdgeLists(s.edgelistFiles);
  const includes = readZoneIncludes(s.zonetemplateDir);
  const canaryRead = readCanaries(s.canaryFile);
  for (const p of [...problems, ...canaryRead.problems]) log.error({ file: p.file }, p.message);
  if (edges.length === 0) throw new OperatorError(`${s.edgelistFiles[0]}: the edge list of network ${s.dnet} is empty; add one edge per line`, 2);
  if (includes.size === 0) log.warn({ dir: s.zonetemplateDir }, "no <domain>.zone include files: no zone will be written");
  const expectedMd5 = md5(readRequired(s.testobjectLocal, "testobject.local"));
  const template = s.zoneTemplate ? readRequired(s.zoneTemplate, "zone_template").toString("utf8") : readFileSync(DEFAULT_TEMPLATE_URL, "utf8");
  const checker = zoneCheckerFor(c.zone_check, s.configPath);
  if (!checker && c.zone_check === "auto") log.warn("named-checkzone is not on PATH: zones are written unchecked (install bind9-utils, or set zone_check: never to silence this)");

  const release = opts.dryRun ? () => {} : acquireLock(s.lockfile);
  try {
    const loaded = await store.load(s.dnet);
    const previous = loaded.state;
    const since = previous.lastRun === null ? null : now - previous.lastRun;
    // With several vantages the state's last run may be another vantage's: the interval rule applies instead.
    if (!c.vantage && !opts.dryRun && !opts.force && since !== null && since >= 0 && since < MIN_SECONDS_BETWEEN_RUNS) {
      throw new OperatorError(`network ${s.dnet}: last run was ${since.toFixed(0)}s ago (less than ${MIN_SECONDS_BETWEEN_RUNS}s); bypass with --force at your own risk`, 1);
    }
    log.info({ dnet: s.dnet, edges: edges.length, canaries: canaryRead.canaries.size, zones: includes.size, state: loaded.source, dryRun: opts.dryRun }, "run started");
    if (!opts.dryRun) await runCommands("run_before", c.commands.run_before, log);

    // Each name once per run; every address it resolves to (A and AAAA) is probed on its own.
    const resolved = await resolveHosts(edges);
    for (const [host, why] of resolved.failures) log.error({ edge: host, err: why }, `edge ${host} does not resolve: it fails this run`);
    const edgeAddresses = new Set([...resolved.addresses.values()].flat());
    const targets: ProbeTarget[] = [...edgeAddresses].map((address) => ({ address, kind: "edge" as const }));
    for (const addr of new Set(canaryRead.canaries.values())) if (!edgeAddresses.has(addr)) targets.push({ address: addr, kind: "canary" });
    const concurrency = c.workers ?? DEFAULT_CONCURRENCY;
    // Classic configs often carry `workers: 10`; with async probes that low a bound only costs time.
    if (concurrency * Math.max(1, Math.floor(c.run_deadline / c.timeout)) < targets.length) {
      log.warn({ workers: concurrency, targets: targets.length, timeout: c.timeout, run_deadline: c.run_deadline }, `workers=${concurrency} may not let ${targets.length} probes finish within run_deadline if edges time out; raise workers or remove the key`);
    }
    const runDeadline = AbortSignal.timeout(Math.max(0, c.run_deadline * 1000 - (Date.now() - started)));
    const deadline = opts.signal ? AbortSignal.any([runDeadline, opts.signal]) : runDeadline;
    const probeOptions = {
      deadline,
      canaryKiller: c.canary_killer,
      // Failures at info, with their reason (a timeout, a refusal, which certificate problem, …).
      onResult: (t: ProbeTarget, o: Observation) => log[o.outcome === "ok" ? "debug" : "info"]({ [t.kind]: t.address, seconds: o.seconds, outcome: o.outcome, detail: o.detail }, `fetched ${t.address}: ${o.outcome} ${o.seconds}s${o.detail ? ` (${o.detail})` : ""}`),
      onCanariesKilled: (n: number) => log.warn({ failures: n }, `${n} canaries failed (canary_killer ${c.canary_killer}): cancelling the remaining canary probes`),
    };
    const [byAddress, controls] = await Promise.all([probeAll(targets, probeSettings(c, expectedMd5, concurrency), probeOptions), probeControls(c.guard.control, c.timeout, c.user_agent, deadline, c.probe.source_address)]);
    const observations = new Map([...canaryRead.canaries.values()].flatMap((a) => (byAddress.has(a) ? [[a, byAddress.get(a)!] as const] : [])));
    for (const [e, o] of edgeObservations(edges, resolved.addresses, resolved.failures, byAddress, c.timeout)) observations.set(e, o);
    for (const [url, r] of controls) log.info({ control: url, ok: r.ok, detail: r.detail }, `guard control ${url}: ${r.ok ? "answers" : "FAILS"} (${r.detail})`);
    if (opts.signal?.aborted) throw new OperatorError(`network ${s.dnet}: interrupted while probing; nothing was written`, 143);
    if (opts.report) Object.assign(opts.report, { observations, wanted: s.edgeCount });
    const failed = [...observations].filter(([, o]) => o.outcome !== "ok");
    log.info({ probed: observations.size, failed: failed.length, seconds: (Date.now() - started) / 1000 }, "probing done");
    for (const [addr, o] of failed) if (o.outcome === "checksum") log.error({ edge: addr, detail: o.detail }, "verification failure: wrong test object");

    // Several vantage points: share this run's observations, combine everyone's, and decide at most once per interval.
    const vantageLines: string[] = [];
    if (c.vantage) {
      const own = new Map(edges.flatMap((e) => (observations.has(e) ? [[e, observations.get(e)!] as const] : [])));
      const combined = await exchangeAndCombine(s, c.vantage, own, now, opts.dryRun, log);
      for (const [e, o] of combined.observations) observations.set(e, o);
      vantageLines.push(...vantagePlanLines(combined, c.vantage.peers.length));
      const adopting = sameInterval(previous.lastRun, now, c.vantage.interval);
      if (opts.report) opts.report.vantage = { fresh: combined.fresh.length, peers: c.vantage.peers.length, adoptedFrom: adopting ? previous.decidedBy : null };
      if (adopting) {
        const r = await adopt({ s, committed: previous, includes, template, checker, log, dryRun: opts.dryRun });
        if (opts.report) Object.assign(opts.report, { zones: r.zones, written: r.written });
        if (opts.dryRun) print(formatAdoptedPlan(s, previous, r.zones, loaded.source, vantageLines));
        return r;
      }
    }

    const decision = decide({
      now,
      edges,
      canaries: canaryRead.canaries,
      observations,
      controls: new Map([...controls].map(([url, r]) => [url, r.ok])),
      previous,
      settings: {
        edgeCount: s.edgeCount,
        goodenough: c.goodenough,
        failValue: c.timeout,
        maxChangesPer10Min: c.dnschange_maxfreq,
        canaryKiller: c.canary_killer,
        limits: { ...DEFAULT_LIMITS, samples: c.fetch_history },
        rise: c.rise,
        fall: c.fall,
        flapWindow: c.flap_window ?? null,
        flapLimit: c.flap_limit ?? null,
        guard: { maxFailingFraction: c.guard.max_failing_fraction, maxFrozenRuns: c.guard.max_frozen_runs },
      },
    });
    logDecision(decision, log);
    const certs = certWarnings(decision.state, edges, now, c.cert_warn_days);
    for (const w of certs) log.warn({ edge: w.edge }, w.message);

    const published = publishableAddresses(decision.live, resolved.addresses, byAddress, c.timeout);
    for (const l of published.leftOut) log.error({ edge: l.edge, address: l.address }, `address ${l.address} of edge ${l.edge} ${l.reason}: left out of its records`);
    const planned = planZones({
      dnet: s.dnet,
      now,
      template,
      dns: c.dns,
      includes,
      live: decision.live,
      addressesOf: published.addresses,
      canaryFor: decision.canaryFor,
      previous: previous.zones,
      forceUpdate: opts.forceUpdate,
      missing: new Set([...includes.keys()].filter((d) => !existsSync(join(s.namedDir, `${d}.zone`)))),
    });
    const zones = await checkPlans(planned, checker);
    if (opts.report) Object.assign(opts.report, { decision, zones });
    const refused = zones.filter((z) => z.refused !== undefined);
    for (const z of refused) log.error({ zone: z.domain, checker: checker?.program, message: z.refused }, `zone ${z.domain} refused by named-checkzone: ${z.refused}; its previous file stays in place`);
    const liveText = liveListText(decision.live);
    const liveListChange = !s.liveList || liveText === null ? null : currentLiveList(s) === liveText ? `${s.liveList} unchanged` : `${s.liveList} would be written: ${decision.live.join(" ")}`;

    if (opts.dryRun) {
      for (const z of zones) log.info({ zone: z.domain, write: z.write, reason: z.reason }, z.write ? `zone ${z.domain} would be written: ${z.reason}` : `zone ${z.domain} skipped: ${z.reason}`);
      print(formatPlan(s, decision, zones, liveListChange, loaded.source, certs.map((w) => w.message), vantageLines));
      return { exitCode: refused.length ? 1 : 0, decision, zones, written: [] };
    }
    if (c.vantage) {
      const r = await saveThenWrite({ s, committed: previous, includes, template, checker, log, dryRun: false, store, loaded, decision, zones, report: opts.report, vantage: c.vantage, now });
      if (opts.report) Object.assign(opts.report, { written: r.written, ...(r.adoptedFrom ? { vantage: { ...opts.report.vantage!, adoptedFrom: r.adoptedFrom } } : {}) });
      return { exitCode: r.exitCode, zones: r.zones, written: r.written, decision };
    }
    return await apply(s, store, loaded, decision, zones, log, opts.report);
  } finally {
    release();
  }
}

async function apply(
  s: NetworkSettings,
  store: StateStore,
  loaded: Awaited<ReturnType<StateStore["load"]>>,
  decision: Decision,
  zones: ZonePlan[],
  log: Logger,
  report: RunReport | undefined,
): Promise<RunResult> {
  const c = s.config;
  const { exitCode, written } = writeOutputs(s, zones, decision.live, log);
  const zoneRecords: NetworkState["zones"] = { ...loaded.state.zones };
  for (const d of written) zoneRecords[d] = zones.find((z) => z.domain === d)!.record;
  if (report) report.written = written;
  try {
    await store.save({ ...decision.state, zones: zoneRecords }, loaded);
    if (report) report.stateSave = "saved";
    log.info({ state: store.describe() }, "state saved");
  } catch (err) {
    if (report) report.stateSave = err instanceof StateStoreError && err.outcome === "conflict" ? "lost_race" : "failed";
    log.error({ state: store.describe(), err: errorMessage(err) }, "state NOT saved");
    throw err;
  } finally {
    if (written.length) await runCommands("run_after_changes", c.commands.run_after_changes, log);
    await runCommands("run_after", c.commands.run_after, log);
  }
  return { exitCode, decision, zones, written };
}

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
import { writeFileAtomic } from "../util/fs.js";
import { lineDiff } from "../zone/diff.js";
import { checkPlans, zoneCheckerFor } from "../zone/check.js";
import { DEFAULT_TEMPLATE_URL, type ZonePlan, compareAddresses, planZones } from "../zone/render.js";
import type { RunReport } from "../metrics/report.js";
import { StateStoreError } from "../state/store.js";
import { runCommands } from "./commands.js";
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
  decision: Decision;
  zones: ZonePlan[];
  written: string[];
}

function probeSettings(c: Config, expectedMd5: string, concurrency: number): ProbeSettings {
  const t = c.testobject;
  return { proto: t.proto, host: t.host, port: t.port, uri: t.uri, verify: t.verify, maxBytes: t.max_bytes, timeout: c.timeout, retry: c.retry, userAgent: c.user_agent, expectedMd5, concurrency };
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

function logDecision(d: Decision, log: Logger): void {
  if (d.guard.status !== "clear") log.warn({ guard: d.guard.status, suspectRuns: d.state.guard.suspectRuns }, `guard: ${d.guard.status}`);
  for (const [edge, v] of d.verdicts) log.info({ edge, judgement: v.judgement, last: v.last, window: v.windowAverage, mean: v.average }, `edge ${edge} judged ${v.judgement}: ${v.reason}`);
  for (const [addr, v] of d.canaryVerdicts) log.info({ canary: addr, judgement: v.judgement }, `canary ${addr} judged ${v.judgement}: ${v.reason}`);
  for (const c of d.changes) {
    const verb = c.change === "join" ? "published" : c.change === "stay" ? "stays published" : "dropped";
    log.info({ edge: c.edge, change: c.change, reason: c.reason }, `edge ${c.edge} ${verb}: ${c.reason}`);
  }
  const changed = new Set(d.changes.map((c) => c.edge));
  for (const [edge, reason] of d.outReasons) if (!changed.has(edge)) log.debug({ edge, reason }, `edge ${edge} not published: ${reason}`);
  for (const [zone, c] of d.canaryFor) log.info({ zone, canary: c.address, reason: c.reason }, c.address ? `zone ${zone} uses its canary: ${c.reason}` : `zone ${zone} uses no canary: ${c.reason}`);
  for (const e of d.errors) log.error({ live: d.live }, e);
}

export function formatPlan(s: NetworkSettings, d: Decision, zones: ZonePlan[], liveListChange: string | null, source: string, warnings: string[] = []): string {
  const out: string[] = [];
  out.push(`edgemanage plan for network ${s.dnet} (dry run: nothing was written)`);
  out.push(`state: ${source}`);
  if (d.guard.status !== "clear") out.push(`guard: ${d.guard.status.toUpperCase().replace("_", " ")} (suspect runs in a row: ${d.state.guard.suspectRuns})`);
  out.push(`live set: ${d.live.length} of ${s.edgeCount} wanted, ${d.liveChanged ? "CHANGES" : "unchanged"}`);
  const sign = { join: "+", stay: "=", leave: "-" } as const;
  for (const c of d.changes) out.push(`  ${sign[c.change]} ${c.edge}  ${c.change}: ${c.reason}`);
  for (const [zone, c] of d.canaryFor) out.push(`canary ${zone}: ${c.address ?? "none"} (${c.reason})`);
  for (const e of d.errors) out.push(`error: ${e}`);
  for (const w of warnings) out.push(`warning: ${w}`);
  out.push("zones:");
  for (const z of zones) {
    const file = join(s.namedDir, `${z.domain}.zone`);
    if (z.refused !== undefined) {
      out.push(`  ${z.domain}: REFUSED, not written: ${z.refused}`);
      continue;
    }
    if (!z.write) {
      out.push(`  ${z.domain}: not written (${z.reason})`);
      continue;
    }
    const current = existsSync(file) ? readFileSync(file, "utf8") : null;
    out.push(`  ${z.domain}: would write ${file} (${z.reason})`);
    const body = current === null ? z.text.split("\n").map((l) => `+ ${l}`).join("\n") : lineDiff(current, z.text);
    out.push(body.replace(/^/gm, "      "));
  }
  if (liveListChange !== null) out.push(`live list: ${liveListChange}`);
  return `${out.join("\n")}\n`;
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
    if (!opts.dryRun && !opts.force && since !== null && since >= 0 && since < MIN_SECONDS_BETWEEN_RUNS) {
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
    const [byAddress, controls] = await Promise.all([probeAll(targets, probeSettings(c, expectedMd5, concurrency), probeOptions), probeControls(c.guard.control, c.timeout, c.user_agent, deadline)]);
    const observations = new Map([...canaryRead.canaries.values()].flatMap((a) => (byAddress.has(a) ? [[a, byAddress.get(a)!] as const] : [])));
    for (const [e, o] of edgeObservations(edges, resolved.addresses, resolved.failures, byAddress, c.timeout)) observations.set(e, o);
    for (const [url, r] of controls) log.info({ control: url, ok: r.ok, detail: r.detail }, `guard control ${url}: ${r.ok ? "answers" : "FAILS"} (${r.detail})`);
    if (opts.signal?.aborted) throw new OperatorError(`network ${s.dnet}: interrupted while probing; nothing was written`, 143);
    if (opts.report) Object.assign(opts.report, { observations, wanted: s.edgeCount });
    const failed = [...observations].filter(([, o]) => o.outcome !== "ok");
    log.info({ probed: observations.size, failed: failed.length, seconds: (Date.now() - started) / 1000 }, "probing done");
    for (const [addr, o] of failed) if (o.outcome === "checksum") log.error({ edge: addr, detail: o.detail }, "verification failure: wrong test object");

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
    // Canonical order, like the zones: the same set never rewrites the file.
    const liveText = decision.live.length ? `${[...decision.live].sort(compareAddresses).join("\n")}\n` : null;
    const liveCurrent = s.liveList && existsSync(s.liveList) ? readFileSync(s.liveList, "utf8") : null;
    const liveListChange = !s.liveList || liveText === null ? null : liveCurrent === liveText ? `${s.liveList} unchanged` : `${s.liveList} would be written: ${decision.live.join(" ")}`;

    if (opts.dryRun) {
      for (const z of zones) log.info({ zone: z.domain, write: z.write, reason: z.reason }, z.write ? `zone ${z.domain} would be written: ${z.reason}` : `zone ${z.domain} skipped: ${z.reason}`);
      print(formatPlan(s, decision, zones, liveListChange, loaded.source, certs.map((w) => w.message)));
      return { exitCode: refused.length ? 1 : 0, decision, zones, written: [] };
    }
    return await apply(s, store, loaded, decision, zones, liveText, liveCurrent, log, opts.report);
  } finally {
    release();
  }
}

/** The stamp file a reloader watches: written after the zones, so it never picks up half a set. */
export const stampFile = (s: NetworkSettings) => join(s.namedDir, `.edgemanage.${s.dnet}.stamp`);

function writeStamp(s: NetworkSettings, zones: ZonePlan[], log: Logger): void {
  const serials = Object.fromEntries(zones.filter((z) => z.write).map((z) => [z.domain, z.record.serial]).sort());
  try {
    writeFileAtomic(stampFile(s), `${JSON.stringify({ dnet: s.dnet, serials })}\n`);
  } catch (err) {
    log.error({ file: stampFile(s), err: errorMessage(err) }, "stamp file could not be written: a reloader may not notice the new zones");
  }
}

async function apply(
  s: NetworkSettings,
  store: StateStore,
  loaded: Awaited<ReturnType<StateStore["load"]>>,
  decision: Decision,
  zones: ZonePlan[],
  liveText: string | null,
  liveCurrent: string | null,
  log: Logger,
  report: RunReport | undefined,
): Promise<RunResult> {
  const c = s.config;
  let exitCode = zones.some((z) => z.refused !== undefined) ? 1 : 0;
  const written: string[] = [];
  const zoneRecords: NetworkState["zones"] = { ...loaded.state.zones };
  for (const z of zones) {
    const file = join(s.namedDir, `${z.domain}.zone`);
    if (!z.write) {
      if (z.refused === undefined) log.info({ zone: z.domain, reason: z.reason }, `zone ${z.domain} skipped: ${z.reason}`);
      continue;
    }
    try {
      writeFileAtomic(file, z.text);
      zoneRecords[z.domain] = z.record;
      written.push(z.domain);
      log.info({ zone: z.domain, file, serial: z.record.serial, addresses: z.addresses, reason: z.reason }, `zone ${z.domain} written: ${z.reason}`);
    } catch (err) {
      exitCode = 1;
      log.error({ zone: z.domain, file, err: errorMessage(err) }, "zone could not be written; it will be retried next run");
    }
  }
  if (written.length) writeStamp(s, zones, log);
  if (s.liveList && liveText !== null && liveText !== liveCurrent) {
    try {
      writeFileAtomic(s.liveList, liveText);
      log.info({ file: s.liveList, live: decision.live }, "live list written");
    } catch (err) {
      exitCode = 1;
      log.error({ file: s.liveList, err: errorMessage(err) }, "live list could not be written; fix live_list");
    }
  }
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

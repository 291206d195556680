import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { type NetworkSettings, refuseSharedPaths } from "../config/load.js";
import { readCanaries, readEdgeLists, readZoneIncludes } from "../config/inputs.js";
import { readInputFile, readTextInput } from "../config/text-input.js";
import { edgeObservations } from "../core/addresses.js";
import { clampFuture } from "../core/clock.js";
import type { Observation } from "../core/observation.js";
import { probeOrder } from "../core/probe-order.js";
import type { NetworkState } from "../core/state.js";
import { type ControlResult, probeControls } from "../probe/controls.js";
import { DEFAULT_CONCURRENCY, type ProbeTarget, probeAll } from "../probe/fleet.js";
import type { ProbeSettings } from "../probe/probe.js";
import type { Loaded, StateStore } from "../state/store.js";
import { OperatorError, errorMessage } from "../util/errors.js";
import { readIfExists } from "../util/fs.js";
import { DEFAULT_TEMPLATE_URL } from "../zone/render.js";
import { type Resolved, resolveHosts } from "./resolve.js";

/** What a run reads from the operator's files before it takes the lock. */
export interface Inputs {
  edges: string[];
  /** domain → include file text */
  includes: Map<string, string>;
  /** zone → canary address */
  canaries: Map<string, string>;
  testObject: Buffer;
  template: string;
}

export function readInputs(s: NetworkSettings, log: Logger): Inputs {
  const { edges, problems, warnings } = readEdgeLists(s.edgelistFiles);
  const includes = readZoneIncludes(s.zonetemplateDir);
  const canaryRead = readCanaries(s.canaryFile);
  for (const p of [...problems, ...canaryRead.problems]) log.error({ file: p.file }, p.message);
  for (const w of warnings) log.warn({ file: w.file }, w.message);
  if (edges.length === 0) throw new OperatorError(`${s.edgelistFiles[0]}: the edge list of network ${s.dnet} is empty; add one edge per line`, 2);
  if (includes.size === 0) log.warn({ dir: s.zonetemplateDir }, "no <domain>.zone include files: no zone will be written");
  refuseSharedPaths(s, includes.keys());
  return {
    edges,
    includes,
    canaries: canaryRead.canaries,
    testObject: readInputFile(s.testobjectLocal, "testobject.local", s.config.testobject.max_bytes),
    template: s.zoneTemplate ? readTextInput(s.zoneTemplate, "zone_template", 1024 * 1024) : readFileSync(DEFAULT_TEMPLATE_URL, "utf8"),
  };
}

/** The state as the run starts from it: times ahead of `now` brought back to now, with a warning. */
export async function loadState(store: StateStore, dnet: string, now: number, log: Logger): Promise<Loaded> {
  const loaded = await store.load(dnet);
  const { state, clamped } = clampFuture(loaded.state, now);
  if (clamped) log.warn({ state: loaded.source, clamped }, `the state has ${clamped} time(s) ahead of this host's clock: brought back to now (check the clocks)`);
  return { ...loaded, state };
}

/** The outputs as they are on disk now: the plan compares with them (drift, ownership, diffs). */
export interface CurrentOutputs {
  zones: Map<string, string | null>;
  liveList: string | null;
  stamp: string | null;
}

export function readCurrentOutputs(s: NetworkSettings, domains: Iterable<string>): CurrentOutputs {
  // A folder where a zone should be, or named_dir that is a file: the operator's to fix, before anything is written.
  const text = (file: string, key: string) => {
    try {
      return readIfExists(file)?.toString("utf8") ?? null;
    } catch (err) {
      throw new OperatorError(`${errorMessage(err)}; fix ${key}`, 2);
    }
  };
  return {
    zones: new Map([...domains].map((d) => [d, text(join(s.namedDir, `${d}.zone`), "named_dir")])),
    liveList: s.liveList ? text(s.liveList, "live_list") : null,
    stamp: text(s.stampFile, "named_dir"),
  };
}

/** This run's own view of the network: every address probed once, folded into one observation per edge. */
export interface Probed {
  /** host → its addresses (an address maps to itself); hosts that did not resolve are absent. */
  addressesOf: Map<string, string[]>;
  byAddress: Map<string, Observation>;
  /** Edges and canaries → this run's observation. */
  observations: Map<string, Observation>;
  controls: Map<string, ControlResult>;
}

function probeSettings(s: NetworkSettings, testObject: Buffer, concurrency: number): ProbeSettings {
  const c = s.config;
  const t = c.testobject;
  return { proto: t.proto, host: t.host, port: t.port, uri: t.uri, verify: t.verify, maxBytes: t.max_bytes, timeout: c.timeout, retry: c.retry, userAgent: c.user_agent, testObject, concurrency, sourceAddress: c.probe.source_address };
}

/** Every address's observation folded into the edges' and canaries'. */
function probedOf(inputs: Inputs, resolved: Resolved, byAddress: Map<string, Observation>, controls: Map<string, ControlResult>, failValue: number): Probed {
  const observations = new Map([...inputs.canaries.values()].flatMap((a) => (byAddress.has(a) ? [[a, byAddress.get(a)!] as const] : [])));
  for (const [e, o] of edgeObservations(inputs.edges, resolved.addresses, resolved.failures, byAddress, failValue)) observations.set(e, o);
  return { addressesOf: resolved.addresses, byAddress, observations, controls };
}

/**
 * Resolves every name once, probes every address and the guard's controls, within run_deadline. Once
 * probing has gone quiet with the controls answered, `ahead` is given what the run would have
 * gathered should every probe still open time out.
 */
export async function probeNetwork(s: NetworkSettings, inputs: Inputs, previous: NetworkState, started: number, signal: AbortSignal | undefined, log: Logger, ahead?: (provisional: Probed) => void): Promise<Probed> {
  const c = s.config;
  const runDeadline = AbortSignal.timeout(Math.max(0, Math.round(c.run_deadline * 1000 - (Date.now() - started))));
  const deadline = signal ? AbortSignal.any([runDeadline, signal]) : runDeadline;
  // Name lookups share the run's deadline: a silent resolver fails the names, never the run.
  const resolved = await resolveHosts(inputs.edges, Math.round(c.timeout * 1000), deadline);
  for (const [host, why] of resolved.failures) log.error({ edge: host, err: why }, `edge ${host} does not resolve: it fails this run`);
  const edgeAddresses = new Set(probeOrder(inputs.edges, previous).flatMap((e) => resolved.addresses.get(e) ?? []));
  const targets: ProbeTarget[] = [...edgeAddresses].map((address) => ({ address, kind: "edge" as const }));
  for (const addr of new Set(inputs.canaries.values())) if (!edgeAddresses.has(addr)) targets.push({ address: addr, kind: "canary" });
  const concurrency = c.workers ?? DEFAULT_CONCURRENCY;
  // Classic configs often carry `workers: 10`; with async probes that low a bound only costs time.
  if (concurrency * Math.max(1, Math.floor(c.run_deadline / c.timeout)) < targets.length) {
    log.warn({ workers: concurrency, targets: targets.length, timeout: c.timeout, run_deadline: c.run_deadline }, `workers=${concurrency} may not let ${targets.length} probes finish within run_deadline if edges time out; raise workers or remove the key`);
  }
  let answered: Map<string, ControlResult> | null = null;
  const probeOptions = {
    deadline,
    canaryKiller: c.canary_killer,
    // Failures at info, with their reason (a timeout, a refusal, which certificate problem, …).
    onResult: (t: ProbeTarget, o: Observation) => log[o.outcome === "ok" ? "debug" : "info"]({ [t.kind]: t.address, seconds: o.seconds, outcome: o.outcome, detail: o.detail }, `fetched ${t.address}: ${o.outcome} ${o.seconds}s${o.detail ? ` (${o.detail})` : ""}`),
    onStarted: (n: number, spreadMs: number) => log.debug({ probes: n, spreadMs }, `${n} probes started within ${spreadMs} ms`),
    onCanariesKilled: (n: number) => log.warn({ failures: n }, `${n} canaries failed (canary_killer ${c.canary_killer}): cancelling the remaining canary probes`),
    onQuiet: ahead && ((provisional: Map<string, Observation>) => answered && ahead(probedOf(inputs, resolved, provisional, answered, c.timeout))),
  };
  const [byAddress, controls] = await Promise.all([
    probeAll(targets, probeSettings(s, inputs.testObject, concurrency), probeOptions),
    probeControls(c.guard.control, c.timeout, c.user_agent, deadline, c.probe.source_address).then((r) => (answered = r)),
  ]);
  if (signal?.aborted) throw new OperatorError(`network ${s.dnet}: interrupted while probing; nothing was written`, 143);
  const probed = probedOf(inputs, resolved, byAddress, controls, c.timeout);
  const { observations } = probed;
  for (const [url, r] of controls) log.info({ control: url, ok: r.ok, detail: r.detail }, `guard control ${url}: ${r.ok ? "answers" : "FAILS"} (${r.detail})`);
  const failed = [...observations].filter(([, o]) => o.outcome !== "ok");
  log.info({ probed: observations.size, failed: failed.length, seconds: (Date.now() - started) / 1000 }, "probing done");
  for (const [addr, o] of failed) if (o.outcome === "checksum") log.error({ edge: addr, detail: o.detail }, "verification failure: wrong test object");
  return probed;
}

import type { NetworkSettings } from "../config/load.js";
import { publishableAddresses } from "../core/addresses.js";
import { certWarnings } from "../core/certs.js";
import { type Decision, decide } from "../core/decide.js";
import { DEFAULT_LIMITS } from "../core/history.js";
import { failed } from "../core/observation.js";
import type { NetworkState } from "../core/state.js";
import { type ZoneChecker, checkPlans } from "../zone/check.js";
import { type ManifestEntry, type UploadPlan, planUpload } from "../zone/manifest.js";
import type { SignFacts } from "../zone/dnssec.js";
import { claimZones } from "../zone/ownership.js";
import { type ZonePlan, compareAddresses, planAdopted as planAdoptedZones, planZones, zoneAddresses } from "../zone/render.js";
import type { CurrentOutputs, Inputs, Probed } from "./gather.js";

/**
 * Everything a run would do, as a value: computed with no I/O from what was gathered, printed by a dry
 * run, carried out by a committer. Sorted, so the same input gives the same plan.
 */
export interface RunPlan {
  dnet: string;
  /** Where the state came from, for the printed plan. */
  source: string;
  /** This run's decision; null when it adopts another vantage's decision of this interval. */
  decision: Decision | null;
  /** The vantage whose decision is adopted; null when this run decided. */
  adoptedFrom: string | null;
  live: string[];
  zones: ZonePlan[];
  /** The outputs as they were on disk when the run planned. */
  current: CurrentOutputs;
  liveList: { file: string; text: string; write: boolean } | null;
  /** The state to save (the records of the zones actually written are merged in by the committer); null when adopting. */
  state: NetworkState | null;
  /** Published addresses of live edges that were left out, with the reason. */
  leftOut: { edge: string; address: string; reason: string }[];
  warnings: string[];
  /** Several vantage points: what each saw, for the printed plan. */
  vantageLines: string[];
  /** The zone transport's part: what goes to the bucket; null when zones are not uploaded or this run adopts. */
  upload: UploadPlan | null;
}

export interface PlanBase {
  s: NetworkSettings;
  inputs: Inputs;
  current: CurrentOutputs;
  source: string;
  now: number;
  previous: NetworkState;
  forceUpdate: boolean;
  /** --adopt or adopt_zones: take over zone files with no ownership line. */
  adopt: boolean;
  vantageLines: string[];
  /** What the bucket holds of this network's zones; null when zones are not uploaded. */
  known: Map<string, ManifestEntry> | null;
  /** DNSSEC on: per zone, its keys and when to sign again. */
  sign: ReadonlyMap<string, SignFacts> | null;
}

/** The live list file's text, in canonical order like the zones: the same set never rewrites it. */
export const liveListText = (live: readonly string[]): string | null => (live.length ? `${[...live].sort(compareAddresses).join("\n")}\n` : null);

/** The decide step: the pure core with this network's settings. */
export function decideNetwork(b: PlanBase, observations: Probed["observations"], controls: Probed["controls"]): Decision {
  const c = b.s.config;
  return decide({
    now: b.now,
    edges: b.inputs.edges,
    canaries: b.inputs.canaries,
    observations,
    controls: new Map([...controls].map(([url, r]) => [url, r.ok])),
    previous: b.previous,
    settings: {
      edgeCount: b.s.edgeCount,
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
}

function finishPlan(b: PlanBase, zones: ZonePlan[], live: string[], rest: Pick<RunPlan, "decision" | "adoptedFrom" | "state" | "leftOut" | "warnings">): RunPlan {
  const claimed = claimZones(zones, { dnet: b.s.dnet, current: b.current.zones, known: new Set(Object.keys(b.previous.zones)), adopt: b.adopt });
  const text = liveListText(live);
  const liveList = b.s.liveList && text !== null ? { file: b.s.liveList, text, write: text !== b.current.liveList } : null;
  return { dnet: b.s.dnet, source: b.source, live, zones: claimed, current: b.current, liveList, vantageLines: b.vantageLines, upload: null, ...rest };
}

/**
 * The plan of a run that decided. A frozen run publishes exactly what the state says was published;
 * otherwise each live edge is published with the addresses that passed (see publishableAddresses).
 */
export function planDecided(b: PlanBase, decision: Decision, probed: Probed): RunPlan {
  const c = b.s.config;
  const frozen = decision.guard.status === "frozen";
  const edges = decision.state.edges;
  // Frozen: nothing resolved or probed this run counts, only what each edge was last published with.
  const published = publishableAddresses(decision.live, frozen ? new Map() : probed.addressesOf, frozen ? new Map() : probed.byAddress, c.timeout, (e) => edges[e]?.published);
  const publish = new Map(
    [...b.inputs.includes.keys()].map((d) => {
      const prev = b.previous.zones[d];
      if (frozen && prev?.addresses?.length) return [d, { addresses: prev.addresses, canary: prev.canary }] as const;
      const canary = decision.canaryFor.get(d)?.address ?? null;
      return [d, { addresses: zoneAddresses(decision.live, published.addresses, canary), canary }] as const;
    }),
  );
  // Addresses that all passed this run are what the edge is published with next time it cannot be probed.
  const passed = (as: readonly string[]) => as.every((a) => probed.byAddress.has(a) && !failed(probed.byAddress.get(a), c.timeout));
  const nextEdges = { ...edges };
  if (!frozen) for (const [e, as] of published.addresses) if (passed(as)) nextEdges[e] = { ...nextEdges[e]!, published: [...as].sort(compareAddresses) };
  // zone_transport s3: named_dir is scratch; a zone the bucket holds as last written is not missing.
  const inBucket = new Set(b.s.s3?.bucketServes && b.known ? [...b.known].filter(([d, e]) => e.sha256 === b.previous.zones[d]?.file).map(([d]) => d) : []);
  const zones = planZones({ dnet: b.s.dnet, now: b.now, template: b.inputs.template, dns: c.dns, includes: b.inputs.includes, publish, previous: b.previous.zones, forceUpdate: b.forceUpdate, current: b.current.zones, inBucket, sign: b.sign });
  const warnings = certWarnings(decision.state, b.inputs.edges, b.now, c.cert_warn_days).map((w) => w.message);
  return finishPlan(b, zones, decision.live, { decision, adoptedFrom: null, state: { ...decision.state, edges: nextEdges }, leftOut: published.leftOut, warnings });
}

/** The plan of a vantage that adopts the decision another vantage committed for this interval: nothing is saved. */
export function planAdopted(b: PlanBase, committed: NetworkState): RunPlan {
  const by = committed.decidedBy ?? "another vantage";
  const rendered = planAdoptedZones({ dnet: b.s.dnet, template: b.inputs.template, dns: b.s.config.dns, includes: b.inputs.includes, records: committed.zones, decidedBy: by, current: b.current.zones });
  // Signed zones are signed once, by the deciding vantage: every bind pulls those from the bucket.
  const zones = b.sign ? rendered.map((z) => ({ ...z, write: false, reason: `signed by vantage ${by}: served from the bucket` })) : rendered;
  return finishPlan({ ...b, previous: committed }, zones, [...committed.lastLive], { decision: null, adoptedFrom: by, state: null, leftOut: [], warnings: [] });
}

/** The upload step of a run that decided: the checked zones the bucket does not hold yet (zone_transport s3/both). */
export function planUploads(plan: RunPlan, b: PlanBase): RunPlan {
  return b.known ? { ...plan, upload: planUpload(plan.dnet, b.now, plan.zones, plan.current.zones, b.known) } : plan;
}

/** The zone checker's step: a zone it refuses is not written (the plan says why). */
export async function checkPlan(plan: RunPlan, checker: ZoneChecker | null): Promise<RunPlan> {
  return { ...plan, zones: await checkPlans(plan.zones, checker) };
}

import type { Logger } from "pino";
import type { NetworkSettings } from "../config/load.js";
import type { Decision } from "../core/decide.js";
import type { Combined } from "../core/quorum.js";
import { lineDiff } from "../zone/diff.js";
import { zoneFile } from "./outputs.js";
import type { RunPlan } from "./plan.js";

/** Every decision with its reason, as log lines. */
export function logDecision(d: Decision, log: Logger): void {
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

/** What a plan holds beyond the decision, as log lines: left-out addresses, warnings, refused zones. */
export function logPlan(plan: RunPlan, log: Logger): void {
  for (const l of plan.leftOut) log.error({ edge: l.edge, address: l.address }, `address ${l.address} of edge ${l.edge} ${l.reason}: left out of its records`);
  for (const w of plan.warnings) log.warn(w);
  for (const z of plan.zones) if (z.refused !== undefined) log.error({ zone: z.domain, message: z.refused }, `zone ${z.domain} ${z.reason}`);
}

/** The dry run's plan: what would change, and why. */
export function formatPlan(s: NetworkSettings, plan: RunPlan): string {
  const out: string[] = [`edgemanage plan for network ${s.dnet} (dry run: nothing was written)`, `state: ${plan.source}`, ...plan.vantageLines];
  const d = plan.decision;
  if (d === null) {
    out.push(`decision: this interval's, made by vantage ${plan.adoptedFrom}: adopted (live set ${plan.live.join(" ")})`);
  } else {
    if (d.guard.status !== "clear") out.push(`guard: ${d.guard.status.toUpperCase().replace("_", " ")} (suspect runs in a row: ${d.state.guard.suspectRuns})`);
    out.push(`live set: ${d.live.length} of ${s.edgeCount} wanted, ${d.liveChanged ? "CHANGES" : "unchanged"}`);
    const sign = { join: "+", stay: "=", leave: "-" } as const;
    for (const c of d.changes) out.push(`  ${sign[c.change]} ${c.edge}  ${c.change}: ${c.reason}`);
    for (const [zone, c] of d.canaryFor) out.push(`canary ${zone}: ${c.address ?? "none"} (${c.reason})`);
    for (const e of d.errors) out.push(`error: ${e}`);
  }
  for (const w of plan.warnings) out.push(`warning: ${w}`);
  for (const l of plan.leftOut) out.push(`left out: ${l.address} of ${l.edge} (${l.reason})`);
  out.push(...zoneLines(s, plan));
  if (plan.upload) out.push(plan.upload.manifest ? `bucket: would upload ${plan.upload.put.length ? plan.upload.put.map((p) => `${p.domain} (serial ${p.entry.serial})`).join(", ") : "no zone"}, then the manifest` : "bucket: holds every zone as planned: no request");
  if (plan.liveList) out.push(`live list: ${plan.liveList.write ? `${plan.liveList.file} would be written: ${plan.live.join(" ")}` : `${plan.liveList.file} unchanged`}`);
  return `${out.join("\n")}\n`;
}

/** Each vantage's view of the edges they disagree on, and the combined result. */
export function vantagePlanLines(c: Combined, peers: number): string[] {
  const out = [`vantages: ${c.fresh.length} of ${peers} fresh (${c.fresh.join(", ")}), quorum ${c.quorum}`];
  for (const [name, why] of c.stale) out.push(`  stale: ${name} (${why})`);
  for (const d of c.disagreements) out.push(`  ${d.edge}: ${Object.entries(d.views).map(([n, v]) => `${n} ${v}`).join(", ")} -> ${d.result}`);
  return out;
}

function zoneLines(s: NetworkSettings, plan: RunPlan): string[] {
  const out: string[] = ["zones:"];
  for (const z of plan.zones) {
    if (z.refused !== undefined) {
      out.push(`  ${z.domain}: REFUSED, not written: ${z.refused}`);
      continue;
    }
    const until = z.record.signedUntil === undefined ? "" : `; signatures valid until ${new Date(z.record.signedUntil * 1000).toISOString()}`;
    if (!z.write) {
      out.push(`  ${z.domain}: not written (${z.reason}${until})`);
      continue;
    }
    const current = plan.current.zones.get(z.domain) ?? null;
    out.push(`  ${z.domain}: would write ${zoneFile(s, z.domain)} (${z.reason}${until && `; signed${until}`})`);
    // Every signature changes with each signing: a diff would be all of them.
    if (until) continue;
    const body = current === null ? z.text.split("\n").map((l) => `+ ${l}`).join("\n") : lineDiff(current, z.text);
    out.push(body.replace(/^/gm, "      "));
  }
  return out;
}

import { Gauge, Registry } from "prom-client";
import { OUTCOMES } from "../core/observation.js";
import { JUDGEMENTS, MODES } from "../core/state.js";
import { type RunEnd, type RunReport, SAVE_OUTCOMES } from "./report.js";

/** Families every run reports, whatever happened; the others only when the run got that far. */
export const RUN_FAMILIES = ["edgemanage_run_duration_seconds", "edgemanage_run_exit_code", "edgemanage_run_success", "edgemanage_last_run_timestamp_seconds", "edgemanage_state_save"] as const;
export const SUCCESS_FAMILY = "edgemanage_last_success_timestamp_seconds";

/**
 * The run as Prometheus metrics. Names follow the naming guide (prefix, base units); every series
 * carries `dnet`, and per-edge label values are bounded by the edge list.
 */
export function buildRegistry(report: RunReport, end: RunEnd): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ dnet: report.dnet });
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
  const success = end.exitCode === 0;

  gauge("edgemanage_run_duration_seconds", "Wall time of the last run.").set(end.durationSeconds);
  gauge("edgemanage_run_exit_code", "Exit code of the last run (0 completed, 1 failed, 2 operator error, 143 interrupted).").set(end.exitCode);
  gauge("edgemanage_run_success", "1 when the last run completed with exit code 0.").set(success ? 1 : 0);
  gauge("edgemanage_last_run_timestamp_seconds", "When the last run ended, success or not.").set(end.now);
  const save = gauge("edgemanage_state_save", "Outcome of the last run's state save (one series per outcome, 1 for the one that happened).", ["outcome"]);
  for (const o of SAVE_OUTCOMES) save.set({ outcome: o }, o === report.stateSave ? 1 : 0);
  if (success) gauge("edgemanage_last_success_timestamp_seconds", "When the last successful run ended.").set(end.now);

  if (report.observations) {
    const failures = gauge("edgemanage_probe_failures", "Probes of the last run that failed, by outcome.", ["outcome"]);
    const counts = new Map<string, number>();
    for (const o of report.observations.values()) if (o.outcome !== "ok") counts.set(o.outcome, (counts.get(o.outcome) ?? 0) + 1);
    for (const outcome of OUTCOMES.filter((x) => x !== "ok")) failures.set({ outcome }, counts.get(outcome) ?? 0);
  }
  const d = report.decision;
  if (d) {
    const live = new Set(d.live);
    const lastFetch = gauge("edgemanage_edge_last_fetch_seconds", "The edge's fetch time in the last run (the failure value when it failed).", ["edge"]);
    const windowMean = gauge("edgemanage_edge_window_mean_seconds", "Mean fetch time of the edge over the last 300 s.", ["edge"]);
    const health = gauge("edgemanage_edge_health", "The edge's judgement in the last run (one series per judgement, 1 for the current one).", ["edge", "judgement"]);
    const liveFlag = gauge("edgemanage_edge_live", "1 when the edge is published.", ["edge"]);
    const mode = gauge("edgemanage_edge_mode", "The operator's mode of the edge (one series per mode, 1 for the current one).", ["edge", "mode"]);
    for (const [edge, v] of d.verdicts) {
      if (v.last !== null) lastFetch.set({ edge }, v.last);
      if (v.windowAverage !== null) windowMean.set({ edge }, v.windowAverage);
      for (const j of JUDGEMENTS) health.set({ edge, judgement: j }, j === v.judgement ? 1 : 0);
      liveFlag.set({ edge }, live.has(edge) ? 1 : 0);
      const m = d.state.edges[edge]?.mode ?? "available";
      for (const x of MODES) mode.set({ edge, mode: x }, x === m ? 1 : 0);
    }
    gauge("edgemanage_live_edges", "Edges published after the last run.").set(d.live.length);
    gauge("edgemanage_wanted_edges", "Edges the network should publish (edge_count / dnet_edge_count).").set(report.wanted ?? 0);
    gauge("edgemanage_substitutions", "Edges substituted in the live set by the last run.").set(d.substitutions);
    gauge("edgemanage_live_set_changes_last_hour", "Changes of the live set in the hour before the last run.").set(d.state.rotations.filter((t) => t > end.now - 3600).length);
    gauge("edgemanage_verification_failures", "Edges that served a wrong test object in the last run.").set(d.state.verificationFailures.length);
    // Per edge: a published one serving a wrong object is an emergency, an unpublished one is not.
    const wrong = gauge("edgemanage_edge_verification_failed", "1 when the edge served a wrong test object in the last run.", ["edge"]);
    const failedSet = new Set(d.state.verificationFailures);
    for (const edge of d.verdicts.keys()) wrong.set({ edge }, failedSet.has(edge) ? 1 : 0);
    gauge("edgemanage_guard_frozen", "1 when the mass-failure guard froze the last run (the live set kept as it was).").set(d.guard.status === "frozen" ? 1 : 0);
    gauge("edgemanage_guard_suspect_runs", "Suspect runs in a row so far (the guard frees the set after guard.max_frozen_runs).").set(d.state.guard.suspectRuns);
    const cert = gauge("edgemanage_cert_expiry_seconds", "When the certificate the edge presented in its last HTTPS probe expires (Unix time).", ["edge"]);
    for (const edge of d.verdicts.keys()) {
      const c = d.state.edges[edge]?.cert;
      if (c) cert.set({ edge }, c.notAfter);
    }
    gauge("edgemanage_canaries_used", "Zones publishing their canary after the last run.").set([...d.canaryFor.values()].filter((c) => c.address !== null).length);
    gauge("edgemanage_canaries_disabled", "1 when canary_killer disabled every canary in the last run.").set(d.canariesDisabled ? 1 : 0);
  }
  if (report.vantage) {
    gauge("edgemanage_vantages_fresh", "Vantages whose observations were fresh in the last run (itself included).").set(report.vantage.fresh);
    gauge("edgemanage_vantages", "Vantages configured (vantage.peers).").set(report.vantage.peers);
    const fresh = gauge("edgemanage_vantage_fresh", "1 when the vantage's observations were fresh in the last run.", ["vantage"]);
    for (const [v, ok] of report.vantage.freshness ?? []) fresh.set({ vantage: v }, ok ? 1 : 0);
    gauge("edgemanage_decision_adopted", "1 when the last run adopted the decision another vantage made for the interval; `from` names it.", ["from"]).set({ from: report.vantage.adoptedFrom ?? "" }, report.vantage.adoptedFrom ? 1 : 0);
  }
  if (report.zones) {
    gauge("edgemanage_zones_written", "Zone files written by the last run.").set(report.written?.length ?? 0);
    gauge("edgemanage_zones_refused", "Zones named-checkzone refused in the last run (their previous files stay).").set(report.zones.filter((z) => z.refused !== undefined).length);
  }
  if (report.writtenSerials?.size) {
    const written = gauge("edgemanage_zone_written_serial", "SOA serial of the zone file as last written.", ["zone"]);
    for (const [zone, serial] of report.writtenSerials) written.set({ zone }, serial);
  }
  if (report.signedUntil?.size) {
    const expiry = gauge("edgemanage_dnssec_signature_expiry_seconds", "DNSSEC: when the earliest signature of the zone file on disk expires (Unix time).", ["zone"]);
    for (const [zone, t] of report.signedUntil) expiry.set({ zone }, t);
  }
  if (report.served) {
    const served = gauge("edgemanage_zone_served_serial", "SOA serial metrics.dns_server answers for the zone (absent while it does not answer).", ["zone"]);
    const errors = gauge("edgemanage_zone_served_error", "1 when metrics.dns_server gave no SOA for the zone.", ["zone"]);
    for (const [zone, a] of report.served) {
      if ("serial" in a) served.set({ zone }, a.serial);
      errors.set({ zone }, "serial" in a ? 0 : 1);
    }
  }
  return registry;
}

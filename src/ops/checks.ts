import { WINDOW_SECONDS, averageSince, lastValue, mean } from "../core/history.js";
import { type NetworkState, emptySeries } from "../core/state.js";

/**
 * Nagios checks over a network's state, as the classic check scripts did. Pure: the state and `now`
 * in, a status line out. Exit codes are Nagios': 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
 */
export const CHECKS = ["integrity", "latency", "rotation", "freshness", "served", "dnssec"] as const;
export type CheckName = (typeof CHECKS)[number];

export const STATUS = ["OK", "WARNING", "CRITICAL", "UNKNOWN"] as const;
export type Status = 0 | 1 | 2 | 3;

export interface CheckResult {
  status: Status;
  summary: string;
  /** Nagios perfdata items: label=value[unit];warn;crit;min;max */
  perfdata: string[];
}

export interface Thresholds {
  warning: number;
  critical: number;
}

/** Defaults per check: verification failures, seconds, live-set changes per hour, seconds since the last run. */
export const DEFAULT_THRESHOLDS: Record<CheckName, Thresholds> = {
  integrity: { warning: 1, critical: 1 },
  latency: { warning: 1, critical: 2 },
  rotation: { warning: 3, critical: 6 },
  freshness: { warning: 180, critical: 600 },
  served: { warning: 30, critical: 300 },
  dnssec: { warning: 4, critical: 2 },
};

const level = (value: number, t: Thresholds): Status => (value >= t.critical ? 2 : value >= t.warning ? 1 : 0);
const perf = (label: string, value: number, unit: string, t: Thresholds | null, min = 0) => `'${label}'=${value}${unit};${t?.warning ?? ""};${t?.critical ?? ""};${min};`;

export function checkIntegrity(state: NetworkState, t: Thresholds): CheckResult {
  const bad = [...state.verificationFailures].sort();
  const status = level(bad.length, t);
  const summary = bad.length === 0 ? "every edge served the right test object in the last run" : `${bad.length} edge(s) served a wrong test object in the last run: ${bad.join(" ")}`;
  return { status, summary, perfdata: [perf("verification_failures", bad.length, "", t)] };
}

export function checkLatency(state: NetworkState, now: number, t: Thresholds, all: boolean): CheckResult {
  const edges = (all ? Object.keys(state.edges) : state.lastLive).slice().sort();
  // Each edge's 300 s window mean (its last fetch when the window is empty): one slow minute does not page.
  const perEdge = edges.map((e) => {
    const s = state.edges[e]?.samples ?? emptySeries();
    return [e, averageSince(s, now - WINDOW_SECONDS) ?? lastValue(s)] as const;
  });
  const known = perEdge.filter((p): p is readonly [string, number] => p[1] !== null);
  const avg = mean(known.map(([, v]) => v));
  if (avg === null) return { status: 3, summary: `no fetch times recorded for ${all ? "any edge" : "the live edges"}`, perfdata: [] };
  const r = Math.round(avg * 1000) / 1000;
  return {
    status: level(avg, t),
    summary: `mean fetch time of ${all ? `all ${known.length} edges` : `the ${known.length} live edges`}: ${r}s (warning ${t.warning}s, critical ${t.critical}s)`,
    perfdata: [perf("mean", r, "s", t), ...known.map(([e, v]) => perf(e, Math.round(v * 1000) / 1000, "s", null))],
  };
}

export function checkRotation(state: NetworkState, now: number, t: Thresholds): CheckResult {
  const changes = state.rotations.filter((r) => r > now - 3600).length;
  return { status: level(changes, t), summary: `${changes} live-set change(s) in the last hour`, perfdata: [perf("changes_1h", changes, "", t)] };
}

export function checkFreshness(state: NetworkState, now: number, t: Thresholds): CheckResult {
  if (state.lastRun === null) return { status: 3, summary: "no run has completed yet", perfdata: [] };
  const age = Math.max(0, Math.round(now - state.lastRun));
  return { status: level(age, t), summary: `last completed run ${age}s ago (${new Date(state.lastRun * 1000).toISOString()})`, perfdata: [perf("age", age, "s", t)] };
}

/** The checks that need nothing but the state (`served` and `dnssec` also ask a DNS server: ops/served.ts, ops/dnssec-check.ts). */
export function runCheck(name: Exclude<CheckName, "served" | "dnssec">, state: NetworkState, now: number, t: Thresholds, all = false): CheckResult {
  switch (name) {
    case "integrity":
      return checkIntegrity(state, t);
    case "latency":
      return checkLatency(state, now, t, all);
    case "rotation":
      return checkRotation(state, now, t);
    case "freshness":
      return checkFreshness(state, now, t);
  }
}

/** One Nagios status line: `EDGEMANAGE LATENCY OK - … | perfdata`. */
export function formatCheck(name: CheckName, dnet: string, r: CheckResult): string {
  const head = `EDGEMANAGE ${name.toUpperCase()} ${STATUS[r.status]} - ${dnet}: ${r.summary}`;
  return `${r.perfdata.length ? `${head} | ${r.perfdata.join(" ")}` : head}\n`;
}

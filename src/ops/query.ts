import { certDaysLeft } from "../core/certs.js";
import { WINDOW_SECONDS, averageAll, averageSince, lastValue, pointsOf } from "../core/history.js";
import { type EdgeRecord, type Judgement, JUDGEMENTS, type Mode, type NetworkState, emptyEdge } from "../core/state.js";

/** One edge as `edgemanage query` shows it; the JSON field names are stable (README "Operating it"). */
export interface EdgeRow {
  edge: string;
  mode: Mode;
  state: "in" | "out";
  health: Judgement | null;
  /** When the edge entered its current state (epoch seconds), and for how long it has been there. */
  since: number | null;
  in_state_seconds: number | null;
  last_fetch_seconds: number | null;
  window_mean_seconds: number | null;
  mean_seconds: number | null;
  rotations_24h: number;
  comment: string | null;
  cert_days_left: number | null;
}

export const HEALTH_FILTERS = [...JUDGEMENTS, "allpass"] as const;
export type HealthFilter = (typeof HEALTH_FILTERS)[number];

export interface QueryFilter {
  health?: HealthFilter;
  state?: "in" | "out";
  mode?: Mode;
}

const round3 = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);

export function edgeRow(edge: string, rec: EdgeRecord | undefined, now: number): EdgeRow {
  const r = rec ?? emptyEdge();
  return {
    edge,
    mode: r.mode,
    state: r.state,
    health: r.health,
    since: r.changed,
    in_state_seconds: r.changed === null ? null : Math.max(0, Math.round(now - r.changed)),
    last_fetch_seconds: lastValue(r.samples),
    window_mean_seconds: round3(averageSince(r.samples, now - WINDOW_SECONDS)),
    mean_seconds: round3(averageAll(r.samples)),
    rotations_24h: r.rotations.filter((t) => t > now - 86_400).length,
    comment: r.comment,
    cert_days_left: r.cert ? certDaysLeft(r.cert, now) : null,
  };
}

/** The edges of the list (in list order), as the state last recorded them, filtered. Pure. */
export function queryRows(state: NetworkState, edges: readonly string[], now: number, f: QueryFilter = {}): EdgeRow[] {
  return edges
    .map((e) => edgeRow(e, state.edges[e], now))
    .filter((r) => f.state === undefined || r.state === f.state)
    .filter((r) => f.mode === undefined || r.mode === f.mode)
    .filter((r) => f.health === undefined || (f.health === "allpass" ? r.health !== null && r.health !== "fail" : r.health === f.health));
}

export const FORMATS = ["flat", "csv", "json", "table"] as const;
export type Format = (typeof FORMATS)[number];

const COLUMNS: [keyof EdgeRow, string][] = [
  ["edge", "EDGE"],
  ["mode", "MODE"],
  ["state", "STATE"],
  ["health", "HEALTH"],
  ["in_state_seconds", "IN_STATE"],
  ["last_fetch_seconds", "LAST"],
  ["window_mean_seconds", "WINDOW"],
  ["mean_seconds", "MEAN"],
  ["rotations_24h", "ROT24H"],
  ["cert_days_left", "CERT_DAYS"],
  ["comment", "COMMENT"],
];

/** Seconds as an operator reads a duration: 42s, 17m, 5h, 3d. */
export function humanDuration(s: number | null): string {
  if (s === null) return "-";
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

function cell(row: EdgeRow, key: keyof EdgeRow, human: boolean): string {
  const v = row[key];
  if (key === "in_state_seconds" && human) return humanDuration(row.in_state_seconds);
  if (v === null) return human ? "-" : "";
  return String(v);
}

const csvQuote = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

export function formatRows(rows: readonly EdgeRow[], format: Format, header: boolean): string {
  if (format === "json") return `${JSON.stringify(rows, null, 2)}\n`;
  const keys = COLUMNS.map(([k]) => k);
  if (format === "csv") {
    const lines = rows.map((r) => keys.map((k) => csvQuote(cell(r, k, false))).join(","));
    return [...(header ? [keys.join(",")] : []), ...lines].map((l) => `${l}\n`).join("");
  }
  if (format === "flat") {
    // The classic edge_query's shape: fields separated by spaces, the comment last (it may hold spaces).
    const lines = rows.map((r) => keys.map((k) => cell(r, k, true)).join(" "));
    return [...(header ? [keys.join(" ")] : []), ...lines].map((l) => `${l}\n`).join("");
  }
  const table = [COLUMNS.map(([, title]) => title), ...rows.map((r) => keys.map((k) => cell(r, k, true)))];
  const widths = COLUMNS.map((_, i) => Math.max(...table.map((line) => line[i]!.length)));
  return table.map((line) => `${line.map((c, i) => (i === line.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()}\n`).join("");
}

/** `--history EDGE`: its recent samples and hourly means, oldest first. */
export function formatHistory(edge: string, rec: EdgeRecord | undefined, limit: number): string {
  if (!rec) return `${edge}: no history in the state\n`;
  const iso = (t: number) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const out = [`history of ${edge}: mode ${rec.mode}, state ${rec.state}, health ${rec.health ?? "-"}`, `samples (latest ${Math.min(limit, rec.samples.t.length)} of ${rec.samples.t.length}):`];
  for (const [t, v] of pointsOf(rec.samples).slice(-limit)) out.push(`  ${iso(t)}  ${v.toFixed(3)}s`);
  out.push(`hourly means (latest ${Math.min(limit, rec.hourly.t.length)} of ${rec.hourly.t.length}):`);
  for (const [t, v] of pointsOf(rec.hourly).slice(-limit)) out.push(`  ${iso(t)}  ${v.toFixed(3)}s`);
  out.push(`rotations into the live set: ${rec.rotations.length ? rec.rotations.slice(-limit).map(iso).join(" ") : "none"}`);
  return `${out.join("\n")}\n`;
}

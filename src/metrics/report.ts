import type { Decision, Observation } from "../core/decide.js";
import type { Served } from "../dns/soa.js";
import type { ZonePlan } from "../zone/render.js";

export const SAVE_OUTCOMES = ["saved", "lost_race", "failed", "not_attempted"] as const;
export type SaveOutcome = (typeof SAVE_OUTCOMES)[number];

/**
 * What one run did, filled in by the run as it goes (a run that fails early leaves the later parts
 * empty) and read by the metrics adapter afterwards.
 */
export interface RunReport {
  dnet: string;
  wanted?: number;
  observations?: ReadonlyMap<string, Observation>;
  decision?: Decision;
  zones?: readonly ZonePlan[];
  written?: readonly string[];
  stateSave: SaveOutcome;
  /** Each zone's serial as last written (the file bind should serve), and as a DNS server serves it (metrics.dns_server). */
  writtenSerials?: ReadonlyMap<string, number>;
  /** DNSSEC: per zone on disk, when its earliest signature expires (epoch seconds). */
  signedUntil?: ReadonlyMap<string, number>;
  served?: ReadonlyMap<string, Served>;
  /** Several vantage points: how many were fresh, and whose decision this run adopted (null: its own). */
  vantage?: { fresh: number; peers: number; adoptedFrom: string | null; freshness?: ReadonlyMap<string, boolean> };
}

/** The run's end, known only to the caller of the run. */
export interface RunEnd {
  /** Epoch seconds. */
  now: number;
  durationSeconds: number;
  exitCode: number;
}

export const newReport = (dnet: string): RunReport => ({ dnet, stateSave: "not_attempted" });

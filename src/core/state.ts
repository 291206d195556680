import * as z from "zod";

export const MODES = ["available", "force", "blindforce", "unavailable"] as const;
export const JUDGEMENTS = ["pass_threshold", "fail", "pass_window", "pass_average", "pass"] as const;

export const ModeSchema = z.enum(MODES);
export const JudgementSchema = z.enum(JUDGEMENTS);
export type Mode = z.infer<typeof ModeSchema>;
export type Judgement = z.infer<typeof JudgementSchema>;

/**
 * A time series as two columns of equal length: `t` epoch seconds, `v` values in seconds. Columns of
 * numbers cost 16 bytes a point; a list of [t, v] pairs cost about 70, and a state holds millions.
 */
export const SeriesSchema = z.object({ t: z.array(z.number()), v: z.array(z.number()) }).refine((s) => s.t.length === s.v.length, { message: "t and v lengths disagree" });
export type Series = z.infer<typeof SeriesSchema>;
export const emptySeries = (): Series => ({ t: [], v: [] });

/** The TLS certificate an edge presented in its last HTTPS probe. */
export const CertInfoSchema = z.object({
  /** not-after, epoch seconds */
  notAfter: z.number(),
  issuer: z.string(),
  /** Whether the certificate is valid for testobject.host (checked also when `verify` is false). */
  nameMatch: z.boolean(),
  /** When it was seen (epoch seconds). */
  seen: z.number(),
});
export type CertInfo = z.infer<typeof CertInfoSchema>;

/** Everything kept about one probed address (an edge or a canary). Every list is bounded by the history module. */
export const EdgeRecordSchema = z.object({
  samples: SeriesSchema,
  hourly: SeriesSchema,
  rotations: z.array(z.number()),
  mode: ModeSchema,
  health: JudgementSchema.nullable(),
  state: z.enum(["in", "out"]),
  /** When `state` or `mode` last changed (epoch seconds). */
  changed: z.number().nullable(),
  comment: z.string().nullable(),
  /** Absent in states written before certificates were kept. */
  cert: CertInfoSchema.nullable().default(null),
  /**
   * The addresses last published for this edge, each of which passed its probe: a kept edge whose
   * addresses all fail this run is published with these, never with an address newly resolved.
   */
  published: z.array(z.string()).optional(),
});
export type EdgeRecord = z.infer<typeof EdgeRecordSchema>;

export const ZoneRecordSchema = z.object({
  /** sha256 of the rendered zone without its serial: a change means the zone must be written. */
  hash: z.string(),
  serial: z.number().int(),
  canary: z.string().nullable(),
  /** What the zone was written from, to say what changed (absent in states of older versions). */
  addresses: z.array(z.string()).optional(),
  include: z.string().optional(),
  settings: z.string().optional(),
  /** sha256 of the file's bytes as written: a file that differs was changed outside edgemanage. */
  file: z.string().optional(),
  /** When the file was written (epoch seconds), for `check served`. */
  written: z.number().optional(),
  /** DNSSEC: the earliest expiration of the written zone's signatures (epoch seconds); absent when unsigned. */
  signedUntil: z.number().optional(),
  /** DNSSEC: sha256 of the public key files it was signed with, so that a key change signs it again. */
  keys: z.string().optional(),
  /** sha256 of this zone's bytes known to be in the bucket (zone_transport s3/both): equal to `file` when nothing is to upload. */
  uploaded: z.string().optional(),
});
export type ZoneRecord = z.infer<typeof ZoneRecordSchema>;

/** The mass-failure guard's memory (README "How a decision is made"). */
export const GuardStateSchema = z.object({
  /** Suspect runs in a row so far (0 after a run that was not suspect). */
  suspectRuns: z.number().int().min(0),
  /** Edges that passed in the last run that was not suspect: the base of the failing fraction. */
  passedLastGood: z.array(z.string()),
});
export type GuardState = z.infer<typeof GuardStateSchema>;

export const NetworkStateSchema = z.object({
  dnet: z.string(),
  lastRun: z.number().nullable(),
  lastLive: z.array(z.string()),
  /** Times the live set changed, bounded. */
  rotations: z.array(z.number()),
  /** One entry per edge substituted in the live set; only the last 10 minutes are kept (dnschange_maxfreq). */
  substitutions: z.array(z.number()),
  verificationFailures: z.array(z.string()),
  zones: z.record(z.string(), ZoneRecordSchema),
  edges: z.record(z.string(), EdgeRecordSchema),
  canaries: z.record(z.string(), EdgeRecordSchema),
  guard: GuardStateSchema.default({ suspectRuns: 0, passedLastGood: [] }),
  /** The vantage whose run made this decision (several vantage points), or null. */
  decidedBy: z.string().nullable().default(null),
});
export type NetworkState = z.infer<typeof NetworkStateSchema>;

export function emptyState(dnet: string): NetworkState {
  return { dnet, lastRun: null, lastLive: [], rotations: [], substitutions: [], verificationFailures: [], zones: {}, edges: {}, canaries: {}, guard: { suspectRuns: 0, passedLastGood: [] }, decidedBy: null };
}

export function emptyEdge(): EdgeRecord {
  return { samples: emptySeries(), hourly: emptySeries(), rotations: [], mode: "available", health: null, state: "out", changed: null, comment: null, cert: null };
}

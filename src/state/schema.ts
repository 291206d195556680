import { z } from "zod";

export const MODES = ["available", "force", "blindforce", "unavailable"] as const;
export const JUDGEMENTS = ["pass_threshold", "fail", "pass_window", "pass_average", "pass"] as const;

export const ModeSchema = z.enum(MODES);
export const JudgementSchema = z.enum(JUDGEMENTS);
export type Mode = z.infer<typeof ModeSchema>;
export type Judgement = z.infer<typeof JudgementSchema>;

/** [epoch seconds, value in seconds] */
const Point = z.tuple([z.number(), z.number()]);

/** Everything kept about one probed address (an edge or a canary). Every list is bounded by the history module. */
export const EdgeRecordSchema = z.object({
  samples: z.array(Point),
  hourly: z.array(Point),
  rotations: z.array(z.number()),
  mode: ModeSchema,
  health: JudgementSchema.nullable(),
  state: z.enum(["in", "out"]),
  /** When `state` or `mode` last changed (epoch seconds). */
  changed: z.number().nullable(),
  comment: z.string().nullable(),
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
});
export type ZoneRecord = z.infer<typeof ZoneRecordSchema>;

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
});
export type NetworkState = z.infer<typeof NetworkStateSchema>;

export function emptyState(dnet: string): NetworkState {
  return { dnet, lastRun: null, lastLive: [], rotations: [], substitutions: [], verificationFailures: [], zones: {}, edges: {}, canaries: {} };
}

export function emptyEdge(): EdgeRecord {
  return { samples: [], hourly: [], rotations: [], mode: "available", health: null, state: "out", changed: null, comment: null };
}

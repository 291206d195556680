import * as z from "zod";
import { seriesOf } from "../core/history.js";
import { type EdgeRecord, type Judgement, type NetworkState, type Series, emptyEdge, emptyState, ModeSchema } from "../core/state.js";

/**
 * The Python edgemanage's files: `{dnet}.state` (network) and `healthdata_store/<edge>.edgestore` (per
 * edge). Read leniently: every field is optional, as the classic tool added them over the years.
 */
const num = z.coerce.number();
export const ClassicStateSchema = z
  .object({
    last_run: num.nullish(),
    last_live: z.array(z.string()).nullish(),
    rotation_list: z.array(num).nullish(),
    verification_failues: z.array(z.string()).nullish(),
  })
  .refine((s) => s.last_live != null || s.rotation_list != null || s.last_run != null, { message: "not a classic edgemanage state file" });

export const ClassicEdgeSchema = z.object({
  fetch_times: z.record(z.string(), num).nullish(),
  historical_average: z.record(z.string(), num).nullish(),
  rotation_history: z.array(num).nullish(),
  state: z.enum(["in", "out"]).nullish(),
  mode: ModeSchema.nullish(),
  health: z.string().nullish(),
  state_entry_time: num.nullish(),
  comment: z.string().nullish(),
});

export function isClassicState(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && !("schema" in raw) && ClassicStateSchema.safeParse(raw).success;
}

/** Classic "pass" meant "last fetch under goodenough", which is pass_threshold here. */
function health(h: string | null | undefined): Judgement | null {
  if (h === "pass") return "pass_threshold";
  if (h === "fail" || h === "pass_window" || h === "pass_average") return h;
  return null;
}

/** Classic floats are kept at the state's resolution: milliseconds, for times and values. */
const ms = (x: number) => Math.round(x * 1000) / 1000;

const series = (r: Record<string, number> | null | undefined): Series =>
  seriesOf(
    Object.entries(r ?? {})
      .map(([t, v]) => [ms(Number(t)), ms(v)] as [number, number])
      .filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v))
      .sort((a, b) => a[0] - b[0]),
  );

export function classicEdge(raw: unknown): EdgeRecord {
  const e = ClassicEdgeSchema.parse(raw);
  return {
    ...emptyEdge(),
    samples: series(e.fetch_times),
    hourly: series(e.historical_average),
    rotations: [...(e.rotation_history ?? [])].sort((a, b) => a - b),
    mode: e.mode ?? "available",
    health: health(e.health),
    state: e.state ?? "out",
    changed: e.state_entry_time ?? null,
    comment: e.comment ?? null,
  };
}

/**
 * Converts a classic installation. Every sample is kept (at millisecond resolution); the configured
 * bounds apply from the next recorded sample on.
 */
export function fromClassic(dnet: string, rawState: unknown, edgestores: ReadonlyMap<string, unknown>, canaryAddresses: ReadonlySet<string>): NetworkState {
  const s = rawState === null ? {} : ClassicStateSchema.parse(rawState);
  const state = emptyState(dnet);
  state.lastRun = s.last_run ?? null;
  state.lastLive = s.last_live ?? [];
  state.rotations = s.rotation_list ?? [];
  state.verificationFailures = s.verification_failues ?? [];
  for (const [addr, raw] of edgestores) (canaryAddresses.has(addr) ? state.canaries : state.edges)[addr] = classicEdge(raw);
  return state;
}

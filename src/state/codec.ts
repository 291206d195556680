import * as z from "zod";
import { type EdgeRecord, EdgeRecordSchema, type NetworkState, NetworkStateSchema, type Series as DomainSeries } from "../core/state.js";

/**
 * The stored form of a network's state. Version 1 keeps time series as columns: timestamps as a first
 * value plus deltas (runs are a minute apart, so deltas repeat and compress to almost nothing) and
 * values as integer milliseconds. See README "State object".
 */
export const SCHEMA_VERSION = 1;

/**
 * state.max_bytes by default: a run holding a state this large (about 1000 edges with a full history)
 * stays under the chart's 512 MiB memory limit; a larger one is refused, never an out-of-memory crash.
 */
export const DEFAULT_MAX_STATE_BYTES = 20 * 1024 * 1024;

/** The documented bounds, enforced where a state enters: no list longer than any setting can make it. */
export const STATE_BOUNDS = { seriesPoints: 100_000, rotations: 10_000, addresses: 100_000 } as const;

type Series = { t0: number; dt: number[]; v: number[] };

const numbers = (a: unknown, int: boolean): a is number[] => Array.isArray(a) && a.length <= STATE_BOUNDS.seriesPoints && a.every((x) => typeof x === "number" && Number.isFinite(x) && (!int || Number.isInteger(x)));

/**
 * Checked in place rather than parsed: zod would copy every column, and the columns are most of a
 * state (millions of numbers).
 */
const Series = z.custom<Series>((s) => {
  if (typeof s !== "object" || s === null) return false;
  const { t0, dt, v } = s as Record<string, unknown>;
  return typeof t0 === "number" && numbers(dt, false) && numbers(v, true) && (dt.length + 1 === v.length || (v.length === 0 && dt.length === 0));
}, { message: `expected a series: t0, dt and v (integers), dt one shorter than v, at most ${STATE_BOUNDS.seriesPoints} points` });

const StoredEdge = EdgeRecordSchema.omit({ samples: true, hourly: true }).extend({ samples: Series, hourly: Series, rotations: z.array(z.number()).max(STATE_BOUNDS.rotations) });
const bounded = <T extends z.ZodType>(record: T) => record.refine((r) => Object.keys(r as object).length <= STATE_BOUNDS.addresses, { message: `more than ${STATE_BOUNDS.addresses} entries` });
const StoredStateV1 = NetworkStateSchema.omit({ edges: true, canaries: true }).extend({
  schema: z.literal(1),
  rotations: z.array(z.number()).max(STATE_BOUNDS.rotations),
  substitutions: z.array(z.number()).max(STATE_BOUNDS.rotations),
  edges: bounded(z.record(z.string(), StoredEdge)),
  canaries: bounded(z.record(z.string(), StoredEdge)),
});
type StoredEdge = z.infer<typeof StoredEdge>;

export class StateDecodeError extends Error {
  constructor(
    message: string,
    readonly kind: "corrupt" | "newer",
  ) {
    super(message);
  }
}

/**
 * Timestamps keep millisecond precision; values are stored as whole milliseconds. Plain loops: a run
 * of 5000 edges encodes 10,000 series, and the state is written after the zones, before the run ends.
 */
function encodeSeries(s: DomainSeries): Series {
  const n = s.t.length;
  if (n === 0) return { t0: 0, dt: [], v: [] };
  const dt = new Array<number>(n - 1);
  const v = new Array<number>(n);
  let previous = Math.round(s.t[0]! * 1000);
  const t0 = previous / 1000;
  for (let i = 1; i < n; i++) {
    const ms = Math.round(s.t[i]! * 1000);
    dt[i - 1] = (ms - previous) / 1000;
    previous = ms;
  }
  for (let i = 0; i < n; i++) v[i] = Math.round(s.v[i]! * 1000);
  return { t0, dt, v };
}

function decodeSeries(s: Series): DomainSeries {
  let t = Math.round(s.t0 * 1000);
  const times = s.v.map((_, i) => {
    if (i > 0) t += Math.round(s.dt[i - 1]! * 1000);
    return t / 1000;
  });
  return { t: times, v: s.v.map((v) => v / 1000) };
}

function encodeEdge(e: EdgeRecord): StoredEdge {
  return { ...e, samples: encodeSeries(e.samples), hourly: encodeSeries(e.hourly) };
}

function decodeEdge(e: StoredEdge): EdgeRecord {
  return { ...e, samples: decodeSeries(e.samples), hourly: decodeSeries(e.hourly) };
}

const mapValues = <A, B>(r: Record<string, A>, f: (a: A) => B): Record<string, B> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, f(v)]));

/** mapValues for what only goes to JSON.stringify: no intermediate lists, and no prototype for a "__proto__" key to reach. */
function encodeAll(r: Record<string, EdgeRecord>): Record<string, StoredEdge> {
  const out = Object.create(null) as Record<string, StoredEdge>;
  for (const k of Object.keys(r)) out[k] = encodeEdge(r[k]!);
  return out;
}

/** Records encoded ahead, as JSON text, by identity: records are never changed in place, a state with new ones is a new object. */
const encodedAhead = new WeakMap<Record<string, EdgeRecord>, string>();

const recordsJson = (r: Record<string, EdgeRecord>): string => encodedAhead.get(r) ?? JSON.stringify(encodeAll(r));

/**
 * Encodes a state's edge and canary records now, for `encodeState` to use when that state (or one
 * made from it with other zone records) is saved. A plan made ahead encodes its state's records while
 * the run waits for its last timeouts: some 5 ms of a thousand-edge run's end.
 */
export function encodeRecordsAhead(state: NetworkState): void {
  for (const r of [state.edges, state.canaries]) encodedAhead.set(r, recordsJson(r));
}

/** The stored document: the records, much the largest part, last, each as JSON text of its own (encoded ahead or now). */
export function encodeState(state: NetworkState): string {
  const { edges, canaries, ...rest } = state;
  const head: Omit<z.infer<typeof StoredStateV1>, "edges" | "canaries"> = { schema: SCHEMA_VERSION, ...rest };
  return `${JSON.stringify(head).slice(0, -1)},"edges":${recordsJson(edges)},"canaries":${recordsJson(canaries)}}`;
}

export function decodeState(text: string): NetworkState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new StateDecodeError(`not valid JSON (${(err as Error).message})`, "corrupt");
  }
  const version = typeof raw === "object" && raw !== null ? (raw as { schema?: unknown }).schema : undefined;
  if (typeof version === "number" && version > SCHEMA_VERSION) {
    throw new StateDecodeError(`written with state schema ${version}, this version reads up to ${SCHEMA_VERSION}: upgrade edgemanage`, "newer");
  }
  const parsed = StoredStateV1.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new StateDecodeError(`does not match state schema ${SCHEMA_VERSION} (${first?.path.join(".")}: ${first?.message})`, "corrupt");
  }
  const { schema: _schema, ...rest } = parsed.data;
  // Validated in its stored form above: decoding the series cannot make it invalid, so it is not parsed twice.
  return { ...rest, edges: mapValues(rest.edges, decodeEdge), canaries: mapValues(rest.canaries, decodeEdge) };
}

/** The bytes kept in object stores: gzip of the JSON document. */
export function encodeStateBytes(state: NetworkState): Buffer {
  return process.getBuiltinModule("node:zlib").gzipSync(encodeState(state), { level: 9 });
}

/** Refuses a stored state larger than `maxBytes` before anything is parsed (state.max_bytes). */
export function refuseOversize(bytes: number, maxBytes: number): void {
  if (bytes > maxBytes) throw new StateDecodeError(`${bytes} bytes, more than state.max_bytes (${maxBytes}): refused before parsing; raise state.max_bytes if the network really has that much history`, "corrupt");
}

export function decodeStateBytes(bytes: Buffer, maxBytes = DEFAULT_MAX_STATE_BYTES): NetworkState {
  refuseOversize(bytes.length, maxBytes);
  let text: string;
  try {
    // Accept plain JSON too, so an operator can upload a hand-made or local state file. Bounded, so a
    // small object cannot unpack into gigabytes.
    text = bytes[0] === 0x1f && bytes[1] === 0x8b ? process.getBuiltinModule("node:zlib").gunzipSync(bytes, { maxOutputLength: maxBytes }).toString("utf8") : bytes.toString("utf8");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ERR_BUFFER_TOO_LARGE") throw new StateDecodeError(`unpacks to more than state.max_bytes (${maxBytes}): refused; raise state.max_bytes if the network really has that much history`, "corrupt");
    throw new StateDecodeError(`not a valid gzip stream (${e.message}); the object is truncated or corrupt`, "corrupt");
  }
  return decodeState(text);
}

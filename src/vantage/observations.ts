import { gunzipSync, gzipSync } from "node:zlib";
import * as z from "zod";
import { OUTCOMES, type Observation } from "../core/observation.js";
import type { VantageView } from "../core/quorum.js";
import { byKey } from "../util/order.js";

/**
 * One vantage's observations of its last run, stored next to the state: `[seconds, outcome]` per edge
 * (milliseconds as integers, like the state), gzip'd JSON, versioned.
 */
const DocSchema = z.object({
  schema: z.literal(1),
  vantage: z.string(),
  dnet: z.string(),
  time: z.number(),
  edges: z.record(z.string(), z.tuple([z.number().int(), z.enum(OUTCOMES)])),
});

export function encodeObservations(view: VantageView, dnet: string): Buffer {
  const edges = Object.fromEntries([...view.observations].sort(byKey).map(([e, o]) => [e, [Math.round(o.seconds * 1000), o.outcome] as const]));
  return gzipSync(JSON.stringify({ schema: 1, vantage: view.name, dnet, time: view.time, edges }), { level: 9 });
}

export function decodeObservations(bytes: Buffer): VantageView {
  const text = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes).toString("utf8") : bytes.toString("utf8");
  const doc = DocSchema.parse(JSON.parse(text));
  const observations = new Map<string, Observation>(Object.entries(doc.edges).map(([e, [ms, outcome]]) => [e, { seconds: ms / 1000, outcome }]));
  return { name: doc.vantage, time: doc.time, observations };
}

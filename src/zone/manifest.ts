import * as z from "zod";
import { isDomainName } from "../config/inputs.js";
import type { ZoneRecord } from "../core/state.js";
import { sha256 } from "../util/fs.js";
import type { ZonePlan } from "./render.js";
import { byKey } from "../util/order.js";

/**
 * The zone transport's index of one network's zones in the bucket (`<prefix>manifest.json`): written
 * after the zones it names, so a puller that reads it finds every zone it lists. Pure: no I/O here.
 */
export const ManifestEntrySchema = z.object({ serial: z.number().int().min(0).max(2 ** 32 - 1), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
export const ManifestSchema = z.object({
  schema: z.literal(1),
  dnet: z.string().min(1),
  /** The time of the run that wrote it (epoch seconds). */
  decided: z.number(),
  zones: z.record(z.string().refine(isDomainName, { message: "not a domain name" }), ManifestEntrySchema),
});
export type ManifestEntry = z.infer<typeof ManifestEntrySchema>;
export type Manifest = z.infer<typeof ManifestSchema>;

/** A manifest is an index, not data: anything larger is refused before it is parsed. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export function parseManifest(body: Buffer, where: string): Manifest {
  if (body.length > MAX_MANIFEST_BYTES) throw new Error(`${where}: ${body.length} bytes, more than a manifest may be (${MAX_MANIFEST_BYTES})`);
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString("utf8"));
  } catch {
    throw new Error(`${where}: not JSON`);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${where}: not a zone manifest (${parsed.error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`).join("; ")})`);
  return parsed.data;
}

/** Sorted keys: the same zones give the same bytes. */
export const manifestText = (m: Manifest): string => `${JSON.stringify({ ...m, zones: Object.fromEntries(Object.entries(m.zones).sort(byKey)) })}\n`;

/** domain → the sha256 of the zone the entries name. */
export const shasOf = (entries: ReadonlyMap<string, ManifestEntry>): Map<string, string> => new Map([...entries].map(([d, e]) => [d, e.sha256]));

/** What the bucket holds, as the state records know it; null when a record says an upload is pending (the manifest must be read). */
export function knownFromRecords(records: Readonly<Record<string, ZoneRecord>>, domains: Iterable<string>): Map<string, ManifestEntry> | null {
  const out = new Map<string, ManifestEntry>();
  for (const d of domains) {
    const r = records[d];
    if (!r?.file) continue;
    if (r.uploaded !== r.file) return null;
    out.set(d, { serial: r.serial, sha256: r.uploaded });
  }
  return out;
}

export interface UploadPlan {
  /** Zones to PUT, each with the bytes written (or on disk) this run. */
  put: { domain: string; text: string; entry: ManifestEntry; fromWrite: boolean }[];
  /** The manifest to PUT after them; null when the bucket already holds this run's zones. */
  manifest: Manifest | null;
  /** What the bucket held when the run planned. */
  known: Map<string, ManifestEntry>;
}

/**
 * Which zones go to the bucket: those whose bytes (written this run, or the file on disk that the
 * state says was written) are not what the bucket holds. A zone the checker refused is never uploaded.
 */
export function planUpload(dnet: string, now: number, zones: readonly ZonePlan[], current: ReadonlyMap<string, string | null>, known: Map<string, ManifestEntry>): UploadPlan {
  const put: UploadPlan["put"] = [];
  const entries: Record<string, ManifestEntry> = {};
  for (const z of zones) {
    const held = known.get(z.domain);
    const onDisk = current.get(z.domain) ?? null;
    const text = z.refused !== undefined ? null : z.write ? z.text : onDisk !== null && (z.record.file === undefined || sha256(onDisk) === z.record.file) ? onDisk : null;
    const sha = text === null ? null : sha256(text);
    if (text === null || sha === held?.sha256) {
      if (held) entries[z.domain] = held;
      continue;
    }
    const entry = { serial: z.record.serial, sha256: sha! };
    put.push({ domain: z.domain, text, entry, fromWrite: z.write });
    entries[z.domain] = entry;
  }
  const sameSet = Object.keys(entries).length === known.size && [...known.keys()].every((d) => d in entries);
  const manifest = put.length || !sameSet ? { schema: 1 as const, dnet, decided: now, zones: entries } : null;
  return { put, manifest, known };
}

/** The stamp a reloader watches, written after the zones (by a run or a puller): any serial that changes changes it. */
export const stampText = (dnet: string, serials: ReadonlyMap<string, number>) => `${JSON.stringify({ dnet, serials: Object.fromEntries([...serials].sort()) })}\n`;

import type { ZoneRecord } from "../core/state.js";

/**
 * DNSSEC facts the plan needs, without I/O: when a signed zone's signatures run out, what a key
 * file's name says, and why a zone must be signed (again) this run.
 */

const DAY = 86_400;

/** RRSIG expiration (YYYYMMDDHHMMSS, UTC) → epoch seconds. */
function rrsigTime(t: string): number {
  return Date.UTC(+t.slice(0, 4), +t.slice(4, 6) - 1, +t.slice(6, 8), +t.slice(8, 10), +t.slice(10, 12), +t.slice(12, 14)) / 1000;
}

/** The earliest expiration of the zone's RRSIGs (epoch seconds); null for an unsigned zone. */
export function earliestExpiry(signed: string): number | null {
  let min: number | null = null;
  // `RRSIG <type> <alg> <labels> <ttl> [(] <expiration> <inception> …`, on one line or split after "(".
  for (const m of signed.matchAll(/\bRRSIG\s+\S+\s+\d+\s+\d+\s+\d+\s+\(?\s*(\d{14})\s+\d{14}/g)) {
    const t = rrsigTime(m[1]!);
    if (min === null || t < min) min = t;
  }
  return min;
}

/** The UTC time as dnssec-signzone takes it: YYYYMMDDHHMMSS. */
export const signzoneTime = (epochSeconds: number): string => new Date(Math.floor(epochSeconds) * 1000).toISOString().replace(/[-:T]/g, "").slice(0, 14);

export interface KeyFileName {
  zone: string;
  algorithm: number;
  id: number;
  ext: "key" | "private";
  /** BIND's own name: K<zone>.+<alg>+<id>.<ext> (a Kubernetes Secret cannot have `+`, so `_` stands for it there). */
  canonical: string;
}

export function parseKeyFileName(name: string): KeyFileName | null {
  const m = /^K(.+)\.[+_](\d{3})[+_](\d{5})\.(key|private)$/.exec(name);
  if (!m) return null;
  const [, zone, alg, id, ext] = m as unknown as [string, string, string, string, "key" | "private"];
  return { zone: zone.toLowerCase(), algorithm: Number(alg), id: Number(id), ext, canonical: `K${zone}.+${alg}+${id}.${ext}` };
}

export interface SignFacts {
  resignBefore: number;
  /** sha256 of this zone's public key files (their timing metadata included). */
  keys: string;
}

/**
 * Why a zone that is otherwise unchanged must be written (signed) this run; null when it need not be.
 * `dnssec` null: DNSSEC is off.
 */
export function signReason(prev: ZoneRecord, dnssec: SignFacts | null, now: number): string | null {
  if (!dnssec) return null;
  if (prev.signedUntil === undefined) return "DNSSEC enabled: the zone is signed for the first time";
  if (prev.keys !== undefined && prev.keys !== dnssec.keys) return "DNSSEC keys changed (a key added, retired or its timing changed): signed again";
  const left = prev.signedUntil - now;
  if (left < dnssec.resignBefore * DAY) return `signatures expire in ${(left / DAY).toFixed(1)} days (dnssec.resign_before ${dnssec.resignBefore}): signed again`;
  return null;
}

/** The reason a zone signed before is not published unsigned (DNSSEC turned off); null when it may be. */
export function unsignedRefusal(prev: ZoneRecord | undefined, dnssecOn: boolean, allowUnsigned: boolean): string | null {
  if (dnssecOn || allowUnsigned || prev?.signedUntil === undefined) return null;
  return "the zone was signed before: published unsigned, it fails validation wherever the parent still has its DS record. Remove the DS, then set dnssec.allow_unsigned: true (or turn dnssec.enabled back on)";
}

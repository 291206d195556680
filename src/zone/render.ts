import { isIPv4, isIPv6 } from "node:net";
import Mustache from "mustache";
import type { Config } from "../config/schema.js";
import type { ZoneRecord } from "../core/state.js";
import { sha256 } from "../util/fs.js";
import { type SignFacts, signReason } from "./dnssec.js";
import { byCodeUnit } from "../util/order.js";

export const DEFAULT_TEMPLATE_URL = new URL("../../../templates/zone.mustache", import.meta.url);

export interface ZoneRecordLine {
  label: string;
  type: "A" | "AAAA";
  address: string;
}

export interface RenderInput {
  dnet: string;
  domain: string;
  serial: number;
  dns: Config["dns"];
  addresses: readonly string[];
  include: string;
}

/** An IPv6 address as 32 hex digits, so that string order is numeric order. */
function ipv6Key(address: string): string {
  let s = address;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = s.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  return groups.map((g) => g.padStart(4, "0")).join("");
}

/** Canonical address order: IPv4 numerically, then IPv6 numerically, then anything else by name. */
export function compareAddresses(a: string, b: string): number {
  const rank = (x: string) => (isIPv4(x) ? 0 : isIPv6(x) ? 1 : 2);
  const key = (x: string) => (isIPv4(x) ? x.split(".").map((o) => o.padStart(3, "0")).join(".") : isIPv6(x) ? ipv6Key(x) : x.toLowerCase());
  return rank(a) - rank(b) || byCodeUnit(key(a), key(b));
}

/** Zone files are not HTML: nothing is escaped. */
const noEscape = { escape: (v: unknown) => String(v) };

/** The first line of every zone: which network owns the file (README "One owner per zone"). */
export const ownershipLine = (dnet: string) => `; managed by edgemanage network=${dnet}\n`;

/** The network named by a zone file's ownership line; null when it has none. */
export function ownerOf(text: string): string | null {
  return /^; managed by edgemanage network=(\S+)\n/.exec(text)?.[1] ?? null;
}

export function renderZone(template: string, input: RenderInput): string {
  const labels = ["@", ...input.dns.rotate_zones];
  // Canonical order: the same set of addresses always renders the same bytes. isIPv4 first: node's
  // IPv6 expression takes milliseconds to compile, which a fleet without IPv6 need not spend.
  const sorted = [...new Set(input.addresses)].sort(compareAddresses);
  const records: ZoneRecordLine[] = labels.flatMap((label) => sorted.map((address) => ({ label, type: isIPv4(address) ? ("A" as const) : ("AAAA" as const), address })));
  const include = input.include.endsWith("\n") || input.include === "" ? input.include : `${input.include}\n`;
  return ownershipLine(input.dnet) + Mustache.render(
    template,
    {
      dnet: input.dnet,
      domain: input.domain,
      serial: input.serial,
      ttl: input.dns.ttl,
      soa_nameserver: input.dns.soa_nameserver,
      soa_mailbox: input.dns.soa_mailbox,
      nameservers: input.dns.ns_records,
      records,
      include,
    },
    {},
    noEscape,
  );
}

export interface ZonePlanInput {
  dnet: string;
  now: number;
  template: string;
  dns: Config["dns"];
  includes: ReadonlyMap<string, string>;
  /** domain → the addresses to publish, and the canary among them. */
  publish: ReadonlyMap<string, { addresses: string[]; canary: string | null }>;
  previous: Readonly<Record<string, ZoneRecord>>;
  forceUpdate: boolean;
  /** domain → the zone file's text in named_dir now (null: no file). */
  current: ReadonlyMap<string, string | null>;
  /** Zones the bucket holds as last written, served from there (zone_transport s3): a missing local copy is not a change. */
  inBucket?: ReadonlySet<string>;
  /** DNSSEC on: per zone, its keys and when to sign again; null or absent: off. */
  sign?: ReadonlyMap<string, SignFacts> | null;
}

export interface ZonePlan {
  domain: string;
  write: boolean;
  reason: string;
  text: string;
  addresses: string[];
  record: ZoneRecord;
  /** The zone checker's objection: the zone is not written. */
  refused?: string;
}

const SERIAL_SPACE = 2 ** 32;

/** RFC 1982 serial arithmetic: whether serial `a` comes after `b` (serials wrap at 2^32). */
export function serialAfter(a: number, b: number): boolean {
  return a !== b && ((a > b && a - b < 2 ** 31) || (a < b && b - a > 2 ** 31));
}

/** The SOA serial of a zone file's text (as bind reads a one-line or parenthesised SOA); undefined when none. */
export function soaSerialOf(text: string): number | undefined {
  const m = /^\S*\s+(?:\d+\s+)?(?:IN\s+)?SOA\s+\S+\s+\S+\s+\(?\s*(\d+)/m.exec(text);
  const n = m ? Number(m[1]) : NaN;
  return Number.isInteger(n) && n < 2 ** 32 ? n : undefined;
}

/** The later of two serials in serial space. */
const laterSerial = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined || !serialAfter(b, a) ? a : b);

/** The epoch time as a serial, or one past the previous serial when that is not after it (RFC 1982: it wraps, never goes back). */
export function nextSerial(now: number, previous: number | undefined): number {
  const epoch = Math.floor(now) % SERIAL_SPACE;
  if (previous === undefined || serialAfter(epoch, previous)) return epoch;
  return (previous + 1) % SERIAL_SPACE;
}

/**
 * Published addresses, in canonical order: the live edges' addresses, with a zone's canary in place
 * of the live edge that sorts last (so the same set always gives up the same edge).
 */
export function zoneAddresses(live: readonly string[], addressesOf: ReadonlyMap<string, readonly string[]>, canary: string | null): string[] {
  const sortedLive = [...live].sort(compareAddresses);
  const edges = canary !== null && sortedLive.length > 0 ? sortedLive.slice(0, -1) : sortedLive;
  const out = edges.flatMap((e) => addressesOf.get(e) ?? []);
  if (canary !== null) out.push(canary);
  return [...new Set(out)].sort(compareAddresses);
}

/** What changed between the zone as last written and now, in words; null when nothing did. */
function whatChanged(prev: ZoneRecord, next: ZoneRecord): string | null {
  if (prev.hash === next.hash) return null;
  const parts: string[] = [];
  if (prev.addresses) {
    const before = new Set(prev.addresses);
    const after = new Set(next.addresses);
    const plus = next.addresses!.filter((a) => !before.has(a));
    const minus = prev.addresses.filter((a) => !after.has(a));
    if (plus.length || minus.length) parts.push(`addresses ${[...plus.map((a) => `+${a}`), ...minus.map((a) => `-${a}`)].join(" ")}`);
  }
  if (prev.canary !== next.canary) parts.push(`canary ${prev.canary ?? "none"} -> ${next.canary ?? "none"}`);
  if (prev.include !== undefined && prev.include !== next.include) parts.push("include file changed");
  if (prev.settings !== undefined && prev.settings !== next.settings) parts.push("template or dns settings changed");
  return parts.length ? parts.join("; ") : "content changed (state written by an older version)";
}

/** Decides, for every zone, its text and whether it must be written. Pure. */
export function planZones(input: ZonePlanInput): ZonePlan[] {
  const plans: ZonePlan[] = [];
  const settings = sha256(JSON.stringify([input.template, input.dns]));
  for (const [domain, include] of input.includes) {
    const { addresses, canary } = input.publish.get(domain) ?? { addresses: [], canary: null };
    const prev = input.previous[domain];
    const base = { dnet: input.dnet, domain, dns: input.dns, addresses, include };
    const hash = sha256(renderZone(input.template, { ...base, serial: 0 }));
    const facts = { hash, canary, addresses, include: sha256(include), settings };
    const unchanged = { domain, write: false, text: "", addresses, record: prev ?? { ...facts, serial: 0 } };
    if (addresses.length === 0) {
      plans.push({ ...unchanged, reason: "no address to publish: refusing to write a zone without edges" });
      continue;
    }
    const current = input.current.get(domain) ?? null;
    let reason: string | null = null;
    if (input.forceUpdate) reason = "--force-update";
    else if (!prev) reason = "new zone";
    else if (current === null && !input.inBucket?.has(domain)) reason = "zone file missing from named_dir";
    else if (current !== null && prev.file !== undefined && sha256(current) !== prev.file) reason = "zone file differs from the last written (changed outside edgemanage)";
    else reason = whatChanged(prev, { ...facts, serial: prev.serial }) ?? signReason(prev, input.sign?.get(domain) ?? null, input.now);
    if (reason === null) {
      plans.push({ ...unchanged, reason: "unchanged" });
      continue;
    }
    // After the file's own serial too: a zone taken over, or edited with a higher serial, never goes back.
    const serial = nextSerial(input.now, laterSerial(prev?.serial, current === null ? undefined : soaSerialOf(current)));
    const text = renderZone(input.template, { ...base, serial });
    plans.push({ domain, write: true, reason, addresses, text, record: { ...facts, serial, file: sha256(text), written: input.now } });
  }
  return plans;
}

/**
 * Zones as another vantage committed them: each rendered from its record's addresses and serial, so
 * every cluster serves byte-identical zones. A zone is written only where this cluster's file differs.
 */
export function planAdopted(input: {
  dnet: string;
  template: string;
  dns: Config["dns"];
  includes: ReadonlyMap<string, string>;
  records: Readonly<Record<string, ZoneRecord>>;
  decidedBy: string;
  current: ReadonlyMap<string, string | null>;
}): ZonePlan[] {
  return [...input.includes].map(([domain, include]) => {
    const rec = input.records[domain];
    if (!rec?.addresses?.length) return { domain, write: false, reason: `the decision of vantage ${input.decidedBy} has no addresses for this zone`, text: "", addresses: [], record: rec ?? { hash: "", serial: 0, canary: null } };
    const text = renderZone(input.template, { dnet: input.dnet, domain, dns: input.dns, addresses: rec.addresses, include, serial: rec.serial });
    const write = (input.current.get(domain) ?? null) !== text;
    return { domain, write, text, addresses: rec.addresses, record: rec, reason: write ? `adopted the decision of vantage ${input.decidedBy} (serial ${rec.serial})` : `unchanged (the decision of vantage ${input.decidedBy})` };
  });
}

import { createHash } from "node:crypto";
import { isIPv6 } from "node:net";
import Mustache from "mustache";
import type { CanaryChoice } from "../core/decide.js";
import type { Config } from "../config/schema.js";
import type { ZoneRecord } from "../state/schema.js";

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

/** Zone files are not HTML: nothing is escaped. */
const noEscape = { escape: (v: unknown) => String(v) };

export function renderZone(template: string, input: RenderInput): string {
  const labels = ["@", ...input.dns.rotate_zones];
  const records: ZoneRecordLine[] = labels.flatMap((label) =>
    input.addresses.map((address) => ({ label, type: isIPv6(address) ? ("AAAA" as const) : ("A" as const), address })),
  );
  const include = input.include.endsWith("\n") || input.include === "" ? input.include : `${input.include}\n`;
  return Mustache.render(
    template,
    {
      dnet: input.dnet,
      domain: input.domain,
      serial: input.serial,
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
  live: readonly string[];
  /** host → its addresses; hosts that did not resolve are absent. */
  addressesOf: ReadonlyMap<string, readonly string[]>;
  canaryFor: ReadonlyMap<string, CanaryChoice>;
  previous: Readonly<Record<string, ZoneRecord>>;
  liveChanged: boolean;
  forceUpdate: boolean;
  /** Zones whose output file is not on disk. */
  missing: ReadonlySet<string>;
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

export function nextSerial(now: number, previous: number | undefined): number {
  const epoch = Math.floor(now);
  return previous !== undefined && previous >= epoch ? previous + 1 : epoch;
}

/** Published addresses: the live edges' addresses, with a zone's canary in place of the last live edge. */
export function zoneAddresses(live: readonly string[], addressesOf: ReadonlyMap<string, readonly string[]>, canary: string | null): string[] {
  const edges = canary !== null && live.length > 0 ? live.slice(0, -1) : live;
  const out = edges.flatMap((e) => addressesOf.get(e) ?? []);
  if (canary !== null) out.push(canary);
  return [...new Set(out)];
}

/** Decides, for every zone, its text and whether it must be written. Pure. */
export function planZones(input: ZonePlanInput): ZonePlan[] {
  const plans: ZonePlan[] = [];
  for (const [domain, include] of input.includes) {
    const canary = input.canaryFor.get(domain)?.address ?? null;
    const addresses = zoneAddresses(input.live, input.addressesOf, canary);
    const prev = input.previous[domain];
    const base = { dnet: input.dnet, domain, dns: input.dns, addresses, include };
    const hash = createHash("sha256").update(renderZone(input.template, { ...base, serial: 0 })).digest("hex");
    const unchanged = { domain, write: false, text: "", addresses, record: prev ?? { hash, serial: 0, canary } };
    if (addresses.length === 0) {
      plans.push({ ...unchanged, reason: "no address to publish: refusing to write a zone without edges" });
      continue;
    }
    let reason: string | null = null;
    if (input.forceUpdate) reason = "--force-update";
    else if (!prev) reason = "new zone";
    else if (input.missing.has(domain)) reason = "zone file missing from named_dir";
    else if (prev.hash !== hash) {
      if (input.liveChanged) reason = "live set changed";
      else if (prev.canary !== canary) reason = `canary changed (${prev.canary ?? "none"} -> ${canary ?? "none"})`;
      else reason = "content changed (include file, host addresses, template or dns settings)";
    }
    if (reason === null) {
      plans.push({ ...unchanged, reason: "unchanged" });
      continue;
    }
    const serial = nextSerial(input.now, prev?.serial);
    plans.push({ domain, write: true, reason, addresses, text: renderZone(input.template, { ...base, serial }), record: { hash, serial, canary } });
  }
  return plans;
}

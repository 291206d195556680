import { join } from "node:path";
import type { Logger } from "pino";
import type { ZoneBucket } from "../state/zone-bucket.js";
import { errorMessage } from "../util/errors.js";
import { readIfExists, sha256, writeFileAtomic } from "../util/fs.js";
import { stampText } from "../zone/manifest.js";
import { ownerOf, soaSerialOf } from "../zone/render.js";
import { byKey } from "../util/order.js";

/** One network's zones as this puller holds them. */
interface Held {
  dnet: string;
  bucket: ZoneBucket;
  /** The manifest's ETag once every zone it names is on disk: the next GET is conditional. */
  etag: string | undefined;
  /** domain → sha256 and serial of the file in the folder. */
  files: Map<string, { sha256: string; serial: number }>;
  lastSuccess: number | null;
  errors: number;
  lastError: string | null;
}

export interface PullResult {
  dnet: string;
  /** Zones written this cycle. */
  fetched: string[];
  errors: string[];
}

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/**
 * `edgemanage zones pull`: keeps a folder holding the zones the runs uploaded. Each cycle GETs each
 * network's manifest conditionally (a 304 when nothing changed), fetches only the zones whose sha256
 * differs, checks each one's sha256 and owner, writes it atomically, then writes the stamp a reloader
 * watches. A zone is never removed, nor replaced by anything that fails a check: the last good stays.
 */
export class ZonePuller {
  private readonly held: Held[];

  constructor(
    private readonly dir: string,
    buckets: { dnet: string; bucket: ZoneBucket }[],
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.held = buckets.map(({ dnet, bucket }) => ({ dnet, bucket, etag: undefined, files: new Map(), lastSuccess: null, errors: 0, lastError: null }));
  }

  private file(domain: string): string {
    return join(this.dir, `${domain}.zone`);
  }

  /** One cycle over every network; each is bounded by `deadlineMs`. */
  async cycle(deadlineMs = 20_000): Promise<PullResult[]> {
    return Promise.all(this.held.map((h) => this.pullNetwork(h, AbortSignal.timeout(deadlineMs))));
  }

  private async pullNetwork(h: Held, signal: AbortSignal): Promise<PullResult> {
    const result: PullResult = { dnet: h.dnet, fetched: [], errors: [] };
    const fail = (message: string) => {
      result.errors.push(message);
      this.log.error({ dnet: h.dnet, err: message }, `zones pull: ${message}; the last good zones stay`);
    };
    let read;
    try {
      read = await h.bucket.manifest(signal, h.etag);
    } catch (err) {
      fail(errorMessage(err));
      return this.settle(h, result);
    }
    if (read.status === "unchanged") return this.settle(h, result);
    if (read.status === "missing") {
      this.log.info({ dnet: h.dnet, manifest: h.bucket.url("manifest.json") }, "zones pull: no manifest yet (no run has uploaded zones): nothing to pull");
      return this.settle(h, result);
    }
    if (read.manifest.dnet !== h.dnet) {
      fail(`${h.bucket.url("manifest.json")}: names network ${read.manifest.dnet}, not ${h.dnet}`);
      return this.settle(h, result);
    }
    for (const [domain, entry] of Object.entries(read.manifest.zones).sort(byKey)) {
      const have = h.files.get(domain) ?? this.onDisk(domain);
      if (have?.sha256 === entry.sha256) {
        h.files.set(domain, have);
        continue;
      }
      try {
        const body = await h.bucket.zone(domain, signal);
        const got = sha256(body);
        if (got !== entry.sha256) throw new Error(`${h.bucket.url(`${domain}.zone`)}: sha256 ${got.slice(0, 12)}… is not the manifest's ${entry.sha256.slice(0, 12)}… (changed outside edgemanage, or a write in progress)`);
        const owner = ownerOf(body.toString("utf8"));
        if (owner !== h.dnet) throw new Error(`${h.bucket.url(`${domain}.zone`)}: owned by network ${owner ?? "none (no ownership line)"}, not ${h.dnet}`);
        writeFileAtomic(this.file(domain), body);
        h.files.set(domain, { sha256: got, serial: entry.serial });
        result.fetched.push(domain);
        this.log.info({ dnet: h.dnet, zone: domain, serial: entry.serial }, `zones pull: zone ${domain} updated to serial ${entry.serial}`);
      } catch (err) {
        fail(errorMessage(err));
      }
    }
    // Conditional next time only when every zone it names is here: otherwise the next cycle tries again.
    h.etag = result.errors.length ? undefined : (read.etag ?? undefined);
    if (result.fetched.length) this.writeStamp(h, fail);
    return this.settle(h, result);
  }

  private onDisk(domain: string): { sha256: string; serial: number } | undefined {
    const body = readIfExists(this.file(domain));
    return body === null ? undefined : { sha256: sha256(body), serial: soaSerialOf(body.toString("utf8")) ?? 0 };
  }

  private writeStamp(h: Held, fail: (m: string) => void): void {
    try {
      writeFileAtomic(join(this.dir, `.edgemanage.${h.dnet}.stamp`), stampText(h.dnet, new Map([...h.files].map(([d, f]) => [d, f.serial]))));
    } catch (err) {
      fail(errorMessage(err));
    }
  }

  private settle(h: Held, result: PullResult): PullResult {
    if (result.errors.length) {
      h.errors += result.errors.length;
      h.lastError = result.errors[0]!;
    } else {
      h.lastSuccess = this.clock() / 1000;
      h.lastError = null;
    }
    return result;
  }

  /** Healthy while every network's last successful cycle is younger than `staleAfter` seconds. */
  health(staleAfter: number): { ok: boolean; text: string } {
    const now = this.clock() / 1000;
    const bad = this.held.filter((h) => h.lastSuccess === null || now - h.lastSuccess >= staleAfter);
    if (!bad.length) return { ok: true, text: `ok: ${this.held.map((h) => `${h.dnet} pulled ${Math.round(now - h.lastSuccess!)}s ago`).join(", ")}` };
    return { ok: false, text: `stale: ${bad.map((h) => `${h.dnet} ${h.lastSuccess === null ? "never pulled" : `last pulled ${Math.round(now - h.lastSuccess)}s ago`}${h.lastError ? ` (${h.lastError})` : ""}`).join("; ")}` };
  }

  metrics(): string {
    const out = [
      "# HELP edgemanage_zones_pull_last_success_timestamp_seconds When each network's zones were last pulled without an error.",
      "# TYPE edgemanage_zones_pull_last_success_timestamp_seconds gauge",
      ...this.held.filter((h) => h.lastSuccess !== null).map((h) => `edgemanage_zones_pull_last_success_timestamp_seconds{dnet="${esc(h.dnet)}"} ${h.lastSuccess}`),
      "# HELP edgemanage_zones_pull_errors_total Failed manifest or zone fetches, checks or writes.",
      "# TYPE edgemanage_zones_pull_errors_total counter",
      ...this.held.map((h) => `edgemanage_zones_pull_errors_total{dnet="${esc(h.dnet)}"} ${h.errors}`),
      "# HELP edgemanage_zones_pull_serial The serial of each zone in the folder bind serves from.",
      "# TYPE edgemanage_zones_pull_serial gauge",
      ...this.held.flatMap((h) => [...h.files].sort(byKey).map(([d, f]) => `edgemanage_zones_pull_serial{dnet="${esc(h.dnet)}",zone="${esc(d)}"} ${f.serial}`)),
    ];
    return `${out.join("\n")}\n`;
  }
}

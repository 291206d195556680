import type { Logger } from "pino";
import type { NetworkSettings } from "../config/load.js";
import type { NetworkState } from "../core/state.js";
import { errorMessage } from "../util/errors.js";
import { type ManifestEntry, type UploadPlan, knownFromRecords, shasOf } from "../zone/manifest.js";

/** What an upload left in the bucket: domain → sha256 of the zone the manifest now names. */
export interface Uploaded {
  inBucket: Map<string, string>;
  errors: string[];
}

/**
 * How zones reach bind besides named_dir, chosen once per network (zone_transport): nothing more
 * (volume), or the state bucket that `edgemanage zones pull` reads beside each bind (s3, both).
 */
export interface ZoneTransport {
  /** What the bucket holds of these zones; null when zones are not uploaded. Reads the manifest only when the state says an upload is pending. */
  known(previous: NetworkState, domains: readonly string[]): Promise<Map<string, ManifestEntry> | null>;
  /** The apply step's upload: the plan's zones that are on disk as planned, then the manifest. */
  upload(plan: UploadPlan | null, written: readonly string[]): Promise<Uploaded>;
}

const volume: ZoneTransport = {
  known: async () => null,
  upload: async () => ({ inBucket: new Map(), errors: [] }),
};

/** Bound on all the zone requests of one run. */
const UPLOAD_DEADLINE_MS = 20_000;

async function bucket(s: NetworkSettings, prefix: string, log: Logger): Promise<ZoneTransport> {
  // Loaded only when used: the AWS SDK is most of the start-up time of a run.
  const [{ s3ClientFor }, { ZoneBucket }] = await Promise.all([import("../state/s3-store.js"), import("../state/zone-bucket.js")]);
  const b = new ZoneBucket(s3ClientFor(s.s3!), s.s3!.bucket, prefix);
  return {
    async known(previous, domains) {
      const fromState = knownFromRecords(previous.zones, domains);
      if (fromState) return fromState;
      try {
        const read = await b.manifest(AbortSignal.timeout(UPLOAD_DEADLINE_MS));
        return new Map(read.status === "ok" ? Object.entries(read.manifest.zones) : []);
      } catch (err) {
        log.warn({ manifest: b.url("manifest.json"), err: errorMessage(err) }, "the zone manifest could not be read: every zone is uploaded again");
        return new Map();
      }
    },
    async upload(plan, written) {
      if (!plan) return { inBucket: new Map(), errors: [] };
      // Until a new manifest is in place, the bucket holds what it held.
      let inBucket = shasOf(plan.known);
      if (!plan.manifest) return { inBucket, errors: [] };
      const signal = AbortSignal.timeout(UPLOAD_DEADLINE_MS);
      const errors: string[] = [];
      const zones = { ...plan.manifest.zones };
      for (const p of plan.put) {
        // A zone whose write failed is not on disk as planned: the bucket keeps what it had.
        const skip = p.fromWrite && !written.includes(p.domain);
        try {
          if (skip) throw new Error(`${b.url(`${p.domain}.zone`)}: not uploaded, the zone was not written`);
          await b.putZone(p.domain, p.text, signal);
          log.info({ zone: p.domain, object: b.url(`${p.domain}.zone`), serial: p.entry.serial }, `zone ${p.domain} uploaded`);
        } catch (err) {
          errors.push(errorMessage(err));
          const held = plan.known.get(p.domain);
          if (held) zones[p.domain] = held;
          else delete zones[p.domain];
        }
      }
      try {
        await b.putManifest({ ...plan.manifest, zones }, signal);
        log.info({ manifest: b.url("manifest.json"), zones: Object.keys(zones).length }, "zone manifest uploaded");
        inBucket = shasOf(new Map(Object.entries(zones)));
      } catch (err) {
        errors.push(errorMessage(err));
      }
      for (const e of errors) log.error({ err: e }, `zone upload failed, pullers keep the previous zone: ${e}`);
      return { inBucket, errors };
    },
  };
}

/** The zone transport of this network, chosen once from its settings. */
export async function zoneTransportFor(s: NetworkSettings, log: Logger): Promise<ZoneTransport> {
  const prefix = s.s3?.zonesPrefix;
  return prefix ? bucket(s, prefix, log) : volume;
}

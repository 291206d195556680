import { join } from "node:path";
import type { Logger } from "pino";
import type { NetworkSettings } from "../config/load.js";
import type { NetworkState, ZoneRecord } from "../core/state.js";
import { errorMessage } from "../util/errors.js";
import { readIfExists, sha256, writeFileAtomic } from "../util/fs.js";
import { stampText } from "../zone/manifest.js";
import type { ZonePlan } from "../zone/render.js";
import type { RunPlan } from "./plan.js";

export const zoneFile = (s: NetworkSettings, domain: string) => join(s.namedDir, `${domain}.zone`);

/**
 * The record of each zone file as it is on disk once the plan is carried out: the new record where it
 * was written, the recorded one where nothing changed, the last saved one where a write was refused or
 * failed (the previous file stays).
 */
export function recordsOnDisk(plan: RunPlan, written: readonly string[]): Map<string, ZoneRecord> {
  const out = new Map<string, ZoneRecord>();
  for (const z of plan.zones) {
    const r = written.includes(z.domain) || (!z.write && z.refused === undefined) ? z.record : plan.state?.zones[z.domain];
    if (r?.serial) out.set(z.domain, r);
  }
  return out;
}

/** Each zone file's serial on disk once the plan is carried out. */
export const serialsOnDisk = (plan: RunPlan, written: readonly string[]): Map<string, number> => new Map([...recordsOnDisk(plan, written)].map(([d, r]) => [d, r.serial]));

export interface Written {
  /** Domains whose zone files were written. */
  written: string[];
  /** Files that could not be written, each with the reason. */
  errors: string[];
}

/**
 * Writes the zones a plan says to write (each atomically), then the stamp, then the live list. A file
 * that cannot be written keeps its previous content, is logged with its path and is retried next run.
 */
export function writeOutputs(s: NetworkSettings, plan: RunPlan, log: Logger): Written {
  const written: string[] = [];
  const errors: string[] = [];
  const attempt = (file: string, text: string, what: string): boolean => {
    try {
      writeFileAtomic(file, text);
      return true;
    } catch (err) {
      errors.push(errorMessage(err));
      log.error({ file, err: errorMessage(err) }, `${what} could not be written, the previous file stays: ${errorMessage(err)}`);
      return false;
    }
  };
  for (const z of plan.zones) {
    if (!z.write) {
      if (z.refused === undefined) log.info({ zone: z.domain, reason: z.reason }, `zone ${z.domain} skipped: ${z.reason}`);
      continue;
    }
    if (attempt(zoneFile(s, z.domain), z.text, `zone ${z.domain}`)) {
      written.push(z.domain);
      log.info({ zone: z.domain, file: zoneFile(s, z.domain), serial: z.record.serial, addresses: z.addresses, reason: z.reason }, `zone ${z.domain} written: ${z.reason}`);
    }
  }
  // Also when no zone changed but the stamp on disk is not this one: a stamp that failed to be written is retried.
  const stamp = stampText(s.dnet, serialsOnDisk(plan, written));
  if ((written.length || plan.current.stamp !== stamp) && attempt(s.stampFile, stamp, "the stamp file (a reloader may not notice the new zones)")) log.debug({ file: s.stampFile }, "stamp written");
  if (plan.liveList?.write && attempt(plan.liveList.file, plan.liveList.text, "the live list")) log.info({ file: plan.liveList.file, live: plan.live }, "live list written");
  return { written, errors };
}

/** The state to save: the plan's, with the records of the zones that were written and what the bucket holds of each. */
export function withZoneRecords(state: NetworkState, zones: readonly ZonePlan[], written: readonly string[], inBucket: ReadonlyMap<string, string>): NetworkState {
  const records = { ...state.zones };
  for (const z of zones) {
    const r = written.includes(z.domain) ? z.record : records[z.domain];
    if (!r) continue;
    const { uploaded: _, ...rest } = r;
    const held = inBucket.get(z.domain);
    records[z.domain] = held === undefined ? rest : { ...rest, uploaded: held };
  }
  return { ...state, zones: records };
}

/**
 * The verify step: every file the run wrote is read back and must hash to what the plan says, or the
 * run fails naming the file (a lying disk, a concurrent writer, a file system that dropped bytes).
 */
export function verifyOutputs(s: NetworkSettings, plan: RunPlan, written: readonly string[]): string[] {
  const expected: [string, string][] = plan.zones.filter((z) => written.includes(z.domain)).map((z) => [zoneFile(s, z.domain), z.text]);
  if (plan.liveList?.write) expected.push([plan.liveList.file, plan.liveList.text]);
  const errors: string[] = [];
  for (const [file, text] of expected) {
    let got: Buffer | null;
    try {
      got = readIfExists(file);
    } catch (err) {
      errors.push(errorMessage(err));
      continue;
    }
    if (got === null) errors.push(`${file}: missing right after it was written`);
    else if (sha256(got) !== sha256(text)) errors.push(`${file}: reads back different from what was written (${got.length} bytes, ${Buffer.byteLength(text)} written)`);
  }
  return errors;
}

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import type { NetworkSettings } from "../config/load.js";
import { errorMessage } from "../util/errors.js";
import { writeFileAtomic } from "../util/fs.js";
import { type ZonePlan, compareAddresses } from "../zone/render.js";

/** The stamp file a reloader watches: written after the zones, so it never picks up half a set. */
const stampFile = (s: NetworkSettings) => join(s.namedDir, `.edgemanage.${s.dnet}.stamp`);

function writeStamp(s: NetworkSettings, zones: readonly ZonePlan[], log: Logger): void {
  const serials = Object.fromEntries(zones.filter((z) => z.write).map((z) => [z.domain, z.record.serial]).sort());
  try {
    writeFileAtomic(stampFile(s), `${JSON.stringify({ dnet: s.dnet, serials })}\n`);
  } catch (err) {
    log.error({ file: stampFile(s), err: errorMessage(err) }, "stamp file could not be written: a reloader may not notice the new zones");
  }
}

/** The live list file's text, in canonical order like the zones: the same set never rewrites it. */
export const liveListText = (live: readonly string[]): string | null => (live.length ? `${[...live].sort(compareAddresses).join("\n")}\n` : null);

export const currentLiveList = (s: NetworkSettings): string | null => (s.liveList && existsSync(s.liveList) ? readFileSync(s.liveList, "utf8") : null);

/**
 * Writes the zones a run planned (each atomically), then the stamp, then the live list. A zone that
 * cannot be written is logged and makes the exit code 1; it is retried next run.
 */
export function writeOutputs(s: NetworkSettings, zones: readonly ZonePlan[], live: readonly string[], log: Logger): { exitCode: number; written: string[] } {
  const liveText = liveListText(live);
  let exitCode = zones.some((z) => z.refused !== undefined) ? 1 : 0;
  const written: string[] = [];
  for (const z of zones) {
    const file = join(s.namedDir, `${z.domain}.zone`);
    if (!z.write) {
      if (z.refused === undefined) log.info({ zone: z.domain, reason: z.reason }, `zone ${z.domain} skipped: ${z.reason}`);
      continue;
    }
    try {
      writeFileAtomic(file, z.text);
      written.push(z.domain);
      log.info({ zone: z.domain, file, serial: z.record.serial, addresses: z.addresses, reason: z.reason }, `zone ${z.domain} written: ${z.reason}`);
    } catch (err) {
      exitCode = 1;
      log.error({ zone: z.domain, file, err: errorMessage(err) }, "zone could not be written; it will be retried next run");
    }
  }
  if (written.length) writeStamp(s, zones.filter((z) => written.includes(z.domain)), log);
  if (s.liveList && liveText !== null && liveText !== currentLiveList(s)) {
    try {
      writeFileAtomic(s.liveList, liveText);
      log.info({ file: s.liveList, live }, "live list written");
    } catch (err) {
      exitCode = 1;
      log.error({ file: s.liveList, err: errorMessage(err) }, "live list could not be written; fix live_list");
    }
  }
  return { exitCode, written };
}

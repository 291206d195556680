import { ownerOf } from "./render.js";
import type { ZonePlan } from "./render.js";

export interface ClaimInput {
  dnet: string;
  /** domain → the zone file's text in named_dir now (null: no file). */
  current: ReadonlyMap<string, string | null>;
  /** Zones this network's state has written before (files from versions without an ownership line). */
  known: ReadonlySet<string>;
  /** --adopt or adopt_zones: take over zone files that carry no ownership line. */
  adopt: boolean;
}

/**
 * One owner per zone file, a safety step of its own: a zone whose file names another network is never
 * overwritten, and a file with no ownership line is taken over only when this network wrote it before
 * or the operator says so (`--adopt`, `adopt_zones: true`). Refused zones keep their files. Pure.
 */
export function claimZones(plans: readonly ZonePlan[], c: ClaimInput): ZonePlan[] {
  return plans.map((p) => {
    const text = c.current.get(p.domain) ?? null;
    if (!p.write || text === null) return p;
    const owner = ownerOf(text);
    if (owner === c.dnet) return p;
    let refused: string;
    if (owner !== null) refused = `the zone file belongs to network ${owner}, not ${c.dnet}: list ${p.domain} under one network only`;
    else if (c.known.has(p.domain) || c.adopt) return p;
    else refused = `the zone file was not written by edgemanage (no ownership line): take it over with --adopt or adopt_zones: true`;
    return { ...p, write: false, refused, reason: `refused: ${refused}; its file is left as it is` };
  });
}

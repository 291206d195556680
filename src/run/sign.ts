import type { NetworkState } from "../core/state.js";
import { mapPerCore } from "../util/exec.js";
import { sha256 } from "../util/fs.js";
import { unsignedRefusal } from "../zone/dnssec.js";
import type { ZonePlan } from "../zone/render.js";
import type { NetworkSettings } from "../config/load.js";
import { ZoneSigner } from "../zone/sign.js";
import type { RunPlan } from "./plan.js";

/**
 * The signing step, between rendering and checking: every zone to be written is signed (DNSSEC on), or,
 * DNSSEC off, a zone that was signed before is refused rather than published unsigned. The checker
 * then validates the very bytes that are written, uploaded and served.
 */
export async function signPlan(plan: RunPlan, signer: ZoneSigner | null, previous: NetworkState, allowUnsigned: boolean): Promise<RunPlan> {
  const one = async (z: ZonePlan): Promise<ZonePlan> => {
    if (!z.write) return z;
    if (!signer) {
      const refused = unsignedRefusal(previous.zones[z.domain], false, allowUnsigned);
      return refused ? { ...z, write: false, refused, reason: `refused: ${refused}` } : z;
    }
    const signed = await signer.sign(z.domain, z.text, plan.dnet);
    if (!signed.ok) return { ...z, write: false, refused: signed.message, reason: `refused: ${signed.message}; its previous file stays in place` };
    return { ...z, text: signed.text, record: { ...z.record, file: sha256(signed.text), signedUntil: signed.expires, keys: signer.fingerprint(z.domain) } };
  };
  return { ...plan, zones: await mapPerCore(plan.zones, one) };
}

/** The signer of this network's zones, its keys read and checked now (exit 2 when one is missing); null with DNSSEC off. */
export function signerFor(s: NetworkSettings, zones: readonly string[]): ZoneSigner | null {
  const d = s.config.dnssec;
  if (!d.enabled || !s.dnssecKeys || !zones.length) return null;
  return ZoneSigner.open({ keys: s.dnssecKeys, algorithm: d.algorithm, nsec3: d.nsec3, signatureValidity: d.signature_validity, resignBefore: d.resign_before }, zones, s.dnet);
}

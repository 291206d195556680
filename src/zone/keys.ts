import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OperatorError, errorMessage } from "../util/errors.js";
import { type KeyFileName, parseKeyFileName } from "./dnssec.js";

/** A zone's public DNSSEC key file as found in the keys folder. */
export interface PublicKey {
  /** The file's name in the folder (BIND's, or a Secret's with `_` for `+`). */
  file: string;
  name: KeyFileName;
  /** A key-signing key (flags 257); otherwise a zone-signing key. */
  ksk: boolean;
  /** The file's text: the DNSKEY record and BIND's timing metadata. */
  text: string;
}

/**
 * The public key files of one algorithm among a folder's `names`, per zone (lower case), in name
 * order: the one reading of the keys folder that signing, `dnssec keygen`, `dnssec ds` and
 * `check dnssec` share. A key file that cannot be read is the operator's to fix (exit 2).
 */
export function publicKeysIn(dir: string, names: readonly string[], algorithm: number): Map<string, PublicKey[]> {
  const out = new Map<string, PublicKey[]>();
  for (const file of [...names].sort()) {
    const name = parseKeyFileName(file);
    if (!name || name.ext !== "key" || name.algorithm !== algorithm) continue;
    let text: string;
    try {
      text = readFileSync(join(dir, file), "utf8");
    } catch (err) {
      throw new OperatorError(`dnssec.keys: ${errorMessage(err)}; the run's user must be able to read the key files`, 2);
    }
    out.set(name.zone, [...(out.get(name.zone) ?? []), { file, name, ksk: /\bDNSKEY\s+257\s/.test(text), text }]);
  }
  return out;
}

import { copyFileSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OperatorError, errorMessage } from "../util/errors.js";
import { runProgram, withTempDir } from "../util/exec.js";
import { sha256 } from "../util/fs.js";
import { checkerMessage, findOnPath } from "./check.js";
import { type KeyFileName, type SignFacts, earliestExpiry, parseKeyFileName, signzoneTime } from "./dnssec.js";
import { type PublicKey, publicKeysIn } from "./keys.js";
import { ownershipLine } from "./render.js";

export interface DnssecSettings {
  /** The keys folder (dnssec.keys, placed). */
  keys: string;
  algorithm: number;
  nsec3: boolean;
  /** Days. */
  signatureValidity: number;
  resignBefore: number;
}

interface ZoneKeys {
  files: { path: string; name: KeyFileName }[];
  facts: SignFacts;
}

export type Signed = { ok: true; text: string; expires: number } | { ok: false; message: string };

function tool(name: string): string {
  const p = findOnPath(name);
  if (!p) throw new OperatorError(`dnssec.enabled: ${name} is not on PATH; install bind9-utils (Debian), as the image has it`, 2);
  return p;
}

/** A zone's key pairs in the folder: each .key with its .private, at least one KSK and one ZSK. */
function keysOf(dir: string, names: readonly string[], publics: readonly PublicKey[], zone: string, d: DnssecSettings, dnet: string): ZoneKeys {
  const files: ZoneKeys["files"] = [];
  for (const p of publics) {
    const priv = names.find((n) => {
      const k = parseKeyFileName(n);
      return k?.ext === "private" && k.zone === zone && k.algorithm === p.name.algorithm && k.id === p.name.id;
    });
    if (!priv) throw new OperatorError(`dnssec.keys: ${join(dir, p.file)} has no private key beside it (${p.name.canonical.replace(/key$/, "private")}); restore it, or remove the key`, 2);
    try {
      readFileSync(join(dir, priv));
    } catch (err) {
      throw new OperatorError(`dnssec.keys: ${errorMessage(err)}; the run's user must be able to read the key files`, 2);
    }
    files.push({ path: join(dir, p.file), name: p.name }, { path: join(dir, priv), name: parseKeyFileName(priv)! });
  }
  const ksk = publics.some((p) => p.ksk);
  if (!ksk || !publics.some((p) => !p.ksk)) throw new OperatorError(`dnssec.keys: ${dir} has ${ksk ? "no zone-signing key (ZSK)" : "no key-signing key (KSK)"} of algorithm ${d.algorithm} for zone ${zone}; create them with: edgemanage dnssec keygen -A ${dnet}`, 2);
  return { files, facts: { keys: sha256(publics.map((p) => p.text).join("\n")), resignBefore: d.resignBefore } };
}

/**
 * Signs zones with BIND's own dnssec-signzone, in the run, once: every replica then serves the same
 * signed bytes. Private keys are only ever read by dnssec-signzone, from a private temporary folder.
 */
export class ZoneSigner {
  private readonly signzone = tool("dnssec-signzone");
  private readonly verify = tool("dnssec-verify");

  private constructor(
    private readonly d: DnssecSettings,
    private readonly keys: Map<string, ZoneKeys>,
  ) {}

  /** Reads and checks every zone's keys: a missing or unreadable key refuses the run (exit 2), naming it. */
  static open(d: DnssecSettings, zones: readonly string[], dnet: string): ZoneSigner {
    let names: string[];
    try {
      names = readdirSync(d.keys);
    } catch (err) {
      throw new OperatorError(`dnssec.keys: cannot read the folder (${errorMessage(err)}); create it with: edgemanage dnssec keygen -A ${dnet}`, 2);
    }
    const publics = publicKeysIn(d.keys, names, d.algorithm);
    return new ZoneSigner(d, new Map(zones.map((z) => [z, keysOf(d.keys, names, publics.get(z.toLowerCase()) ?? [], z.toLowerCase(), d, dnet)] as const)));
  }

  /** Per zone, what the plan needs to know to decide whether to sign again. */
  facts(): Map<string, SignFacts> {
    return new Map([...this.keys].map(([z, k]) => [z, k.facts]));
  }

  fingerprint(zone: string): string {
    return this.keys.get(zone)!.facts.keys;
  }

  /**
   * Signs one rendered zone (its serial kept), then verifies it; the ownership line stays first.
   * Signatures are valid from an hour ago by the machine's clock, never the run's injected one:
   * resolvers check them against real time.
   */
  sign(zone: string, text: string, dnet: string): Promise<Signed> {
    const now = Date.now() / 1000;
    return withTempDir("edgemanage-sign-", async (dir): Promise<Signed> => {
      for (const f of this.keys.get(zone)!.files) copyFileSync(f.path, join(dir, f.name.canonical));
      const input = join(dir, "zone.in");
      const output = join(dir, "zone.signed");
      writeFileSync(input, text);
      // -d: the dsset file dnssec-signzone writes goes to the temporary folder, not the working directory.
      const args = ["-q", "-K", dir, "-d", dir, "-o", zone, "-N", "keep", "-S", "-s", signzoneTime(now - 3600), "-e", signzoneTime(now + this.d.signatureValidity * 86_400), ...(this.d.nsec3 ? ["-3", "-", "-H", "0"] : []), "-f", output, "--", input];
      const signed = await runProgram(this.signzone, args, 60_000);
      if (!signed.ok) return { ok: false, message: `dnssec-signzone: ${checkerMessage(`${signed.stdout}\n${signed.stderr}`, input)}` };
      const verified = await runProgram(this.verify, ["-q", "-o", zone, "--", output], 60_000);
      if (!verified.ok) return { ok: false, message: `dnssec-verify: ${checkerMessage(`${verified.stdout}\n${verified.stderr}`, output)}` };
      // dnssec-signzone's header comments carry the signing time: the ownership line takes their place.
      const body = readFileSync(output, "utf8").replace(/^(;[^\n]*\n)+/, "");
      const expires = earliestExpiry(body);
      if (expires === null) return { ok: false, message: "dnssec-signzone wrote no signature" };
      return { ok: true, text: `${ownershipLine(dnet)}${body}`, expires };
    });
  }
}

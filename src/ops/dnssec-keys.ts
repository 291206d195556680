import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { OperatorError, errorMessage } from "../util/errors.js";
import { runProgram, withTempDir } from "../util/exec.js";
import { findOnPath } from "../zone/check.js";
import { parseKeyFileName } from "../zone/dnssec.js";
import { type PublicKey, publicKeysIn } from "../zone/keys.js";

const ALGORITHMS: Record<number, string> = { 13: "ECDSAP256SHA256", 15: "ED25519" };

/** A BIND tool's output; its failure is the operator's error, in its own words. */
async function run(program: string, args: string[]): Promise<string> {
  const p = findOnPath(program);
  if (!p) throw new OperatorError(`${program} is not on PATH; install bind9-utils (Debian)`, 2);
  const r = await runProgram(p, args, 60_000);
  if (!r.ok) throw new OperatorError(`${program}: ${(r.stderr || r.error || "").trim()}`, 1);
  return r.stdout;
}

/** The folder's public keys per zone; a folder not made yet has none. */
function publicKeys(dir: string, algorithm: number): Map<string, PublicKey[]> {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new OperatorError(`dnssec.keys: ${errorMessage(err)}`, 2);
  }
  return publicKeysIn(dir, names, algorithm);
}

/**
 * `edgemanage dnssec keygen`: a KSK and a ZSK for every zone that lacks them, in the keys folder (made
 * 0700). Returns what was made, and the files, for the Secret the chart mounts.
 */
export async function keygen(dir: string, zones: readonly string[], algorithm: number): Promise<{ made: string[]; kept: string[]; files: string[] }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const have = publicKeys(dir, algorithm);
  const made: string[] = [];
  const kept: string[] = [];
  for (const zone of zones) {
    const keys = have.get(zone.toLowerCase()) ?? [];
    for (const [role, flags] of [["KSK", ["-f", "KSK"]], ["ZSK", []]] as const) {
      if (keys.some((k) => k.ksk === (role === "KSK"))) {
        kept.push(`${zone} ${role}`);
        continue;
      }
      const name = (await run("dnssec-keygen", ["-q", "-K", dir, "-a", ALGORITHMS[algorithm]!, ...flags, "--", zone])).trim();
      made.push(`${name} (${zone} ${role})`);
    }
  }
  return { made, kept, files: readdirSync(dir).filter((n) => parseKeyFileName(n)).sort() };
}

/** `edgemanage dnssec ds`: the DS records (SHA-256) of every zone's KSKs, for the parent zone. */
export async function dsRecords(dir: string, zones: readonly string[], algorithm: number): Promise<string[]> {
  const have = publicKeys(dir, algorithm);
  return withTempDir("edgemanage-ds-", async (tmp) => {
    const out: string[] = [];
    for (const zone of zones) {
      const ksks = (have.get(zone.toLowerCase()) ?? []).filter((k) => k.ksk);
      if (!ksks.length) throw new OperatorError(`dnssec.keys: no KSK for ${zone} in ${dir}; create it with: edgemanage dnssec keygen`, 2);
      for (const k of ksks) {
        copyFileSync(join(dir, k.file), join(tmp, k.name.canonical));
        out.push((await run("dnssec-dsfromkey", ["-2", "--", join(tmp, k.name.canonical)])).trim());
      }
    }
    return out;
  });
}

/** The Secret key of a key file: a Kubernetes Secret cannot have `+` in a key, `_` stands for it. */
export const secretKeyOf = (file: string) => file.replaceAll("+", "_");

/** delv's trust anchor for a zone: its KSKs from the keys folder (`trust-anchors { … static-key … }`). */
export function trustAnchor(dir: string, zone: string, algorithm: number): string {
  const keys = (publicKeys(dir, algorithm).get(zone.toLowerCase()) ?? []).filter((k) => k.ksk);
  if (!keys.length) throw new OperatorError(`dnssec.keys: no KSK for ${zone} in ${dir}`, 2);
  const lines = keys.map((k) => {
    const m = /\bDNSKEY\s+257\s+3\s+(\d+)\s+(.+)$/m.exec(k.text)!;
    return `  "${zone}." static-key 257 3 ${m[1]} "${m[2]!.replace(/\s+/g, "")}";`;
  });
  return `trust-anchors {\n${lines.join("\n")}\n};\n`;
}

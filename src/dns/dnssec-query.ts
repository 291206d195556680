import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runProgram, withTempDir } from "../util/exec.js";
import type { Server } from "../util/server.js";
import { earliestExpiry } from "../zone/dnssec.js";

/** What a server serves of a signed zone: when its SOA signature expires, and whether it validates. */
export interface DnssecAnswer {
  /** Epoch seconds; null when the answer carries no signature. */
  expires: number | null;
  validated: boolean;
  detail: string;
}

/** What a program said, or why it said nothing. */
const output = async (program: string, args: string[], timeoutMs: number): Promise<string> => {
  const r = await runProgram(program, args, timeoutMs);
  return `${r.stdout || (r.error ?? "")}\n${r.stderr}`;
};

/**
 * Asks the server for each zone's SOA with its signatures (dig +dnssec), and validates it with delv
 * against the zone's own KSK as the only trust anchor. Every question is bounded in time.
 */
export async function servedDnssec(server: Server, anchors: ReadonlyMap<string, string>, timeoutMs = 5000): Promise<Map<string, DnssecAnswer>> {
  const at = [`@${server.host}`, "-p", String(server.port)];
  return withTempDir("edgemanage-anchors-", async (dir) => {
    const answers = await Promise.all(
      [...anchors].map(async ([zone, anchor]): Promise<[string, DnssecAnswer]> => {
        const file = join(dir, `${zone}.conf`);
        writeFileSync(file, anchor);
        // -q: the name is a name even should it start with '-'.
        const [dig, delv] = await Promise.all([
          output("dig", [...at, "+dnssec", "+norec", "+time=2", "+tries=1", "-t", "SOA", "-q", zone], timeoutMs),
          output("delv", [...at, "-a", file, `+root=${zone}`, "-t", "SOA", "-q", zone], timeoutMs),
        ]);
        const validated = /; fully validated/.test(delv);
        const why = delv.split("\n").find((l) => /^;; (resolution failed|validating|.*failed)/.test(l)) ?? delv.split("\n").find((l) => l.startsWith(";"))?.trim() ?? "no answer";
        return [zone, { expires: earliestExpiry(dig), validated, detail: validated ? "fully validated" : why.replace(/^;+\s*/, "") }];
      }),
    );
    return new Map(answers);
  });
}

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "../util/server.js";
import { earliestExpiry } from "../zone/dnssec.js";

/** What a server serves of a signed zone: when its SOA signature expires, and whether it validates. */
export interface DnssecAnswer {
  /** Epoch seconds; null when the answer carries no signature. */
  expires: number | null;
  validated: boolean;
  detail: string;
}

const run = (program: string, args: string[], timeoutMs: number): Promise<string> =>
  new Promise((resolve) => execFile(program, args, { timeout: timeoutMs }, (err, stdout, stderr) => resolve(err && !stdout ? `${err.message}\n${stderr}` : `${stdout}\n${stderr}`)));

/**
 * Asks the server for each zone's SOA with its signatures (dig +dnssec), and validates it with delv
 * against the zone's own KSK as the only trust anchor. Every question is bounded in time.
 */
export async function servedDnssec(server: Server, anchors: ReadonlyMap<string, string>, timeoutMs = 5000): Promise<Map<string, DnssecAnswer>> {
  const dir = mkdtempSync(join(tmpdir(), "edgemanage-anchors-"));
  const at = [`@${server.host}`, "-p", String(server.port)];
  try {
    const answers = await Promise.all(
      [...anchors].map(async ([zone, anchor]): Promise<[string, DnssecAnswer]> => {
        const file = join(dir, `${zone}.conf`);
        writeFileSync(file, anchor);
        // -q: the name is a name even should it start with '-'.
        const [dig, delv] = await Promise.all([
          run("dig", [...at, "+dnssec", "+norec", "+time=2", "+tries=1", "-t", "SOA", "-q", zone], timeoutMs),
          run("delv", [...at, "-a", file, `+root=${zone}`, "-t", "SOA", "-q", zone], timeoutMs),
        ]);
        const validated = /; fully validated/.test(delv);
        const why = delv.split("\n").find((l) => /^;; (resolution failed|validating|.*failed)/.test(l)) ?? delv.split("\n").find((l) => l.startsWith(";"))?.trim() ?? "no answer";
        return [zone, { expires: earliestExpiry(dig), validated, detail: validated ? "fully validated" : why.replace(/^;+\s*/, "") }];
      }),
    );
    return new Map(answers);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

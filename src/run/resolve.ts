import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/** Host → addresses. Addresses map to themselves; names that do not resolve are absent, with the reason. */
export async function resolveHosts(hosts: readonly string[]): Promise<{ addresses: Map<string, string[]>; failures: Map<string, string> }> {
  const addresses = new Map<string, string[]>();
  const failures = new Map<string, string>();
  await Promise.all(
    hosts.map(async (h) => {
      if (isIP(h)) return void addresses.set(h, [h]);
      try {
        const found = await lookup(h, { all: true });
        addresses.set(h, [...new Set(found.map((a) => a.address))]);
      } catch (err) {
        failures.set(h, (err as Error).message);
      }
    }),
  );
  return { addresses, failures };
}

import { isIP } from "node:net";
import { type Observation, failed } from "./observation.js";

/**
 * Dual-stack and multi-address edges: every address a name resolves to is probed on its own. An
 * edge's observation for the run is its slowest address's (a client may pick any of them), so one
 * failing address fails the edge; a name that did not resolve fails with the resolver's reason.
 */
export function edgeObservations(
  edges: readonly string[],
  addressesOf: ReadonlyMap<string, readonly string[]>,
  unresolved: ReadonlyMap<string, string>,
  byAddress: ReadonlyMap<string, Observation>,
  failValue: number,
): Map<string, Observation> {
  const out = new Map<string, Observation>();
  for (const edge of edges) {
    const why = unresolved.get(edge);
    if (why !== undefined) {
      out.set(edge, { seconds: failValue, outcome: "error", detail: `does not resolve: ${why}` });
      continue;
    }
    const seen = (addressesOf.get(edge) ?? []).flatMap((a) => {
      const o = byAddress.get(a);
      return o ? [[a, o] as const] : [];
    });
    if (seen.length === 0) continue;
    // The worst address: a failing one before any that passed, then the slowest.
    const badness = (o: Observation) => (failed(o, failValue) ? Number.POSITIVE_INFINITY : o.seconds);
    const [address, o] = seen.reduce((w, cur) => (badness(cur[1]) > badness(w[1]) ? cur : w));
    out.set(edge, seen.length > 1 && address !== edge ? { ...o, detail: `${address}${o.detail ? `: ${o.detail}` : ""} (slowest of ${seen.length} addresses)` } : o);
  }
  return out;
}

/**
 * The addresses to publish for each live edge: those probed this run that passed. A live edge none of
 * whose addresses passed this run (kept by `fall`, by the fallback, or by a frozen guard) is published
 * with the addresses it last passed with (`published` in its record), never with an address newly
 * resolved that did not pass; an IP-literal edge is its own address. The left-out addresses are
 * returned, to be reported.
 */
export function publishableAddresses(
  live: readonly string[],
  addressesOf: ReadonlyMap<string, readonly string[]>,
  byAddress: ReadonlyMap<string, Observation>,
  failValue: number,
  lastPublished: (edge: string) => readonly string[] | undefined,
): { addresses: Map<string, string[]>; leftOut: { edge: string; address: string; reason: string }[] } {
  const addresses = new Map<string, string[]>();
  const leftOut: { edge: string; address: string; reason: string }[] = [];
  for (const edge of live) {
    const all = addressesOf.get(edge) ?? [];
    const good = all.filter((a) => byAddress.has(a) && !failed(byAddress.get(a), failValue));
    const fallback = good.length ? [] : [...(lastPublished(edge) ?? (isIP(edge) ? [edge] : []))];
    const chosen = good.length ? good : fallback;
    for (const a of all.filter((x) => !chosen.includes(x))) {
      const o = byAddress.get(a);
      leftOut.push({ edge, address: a, reason: o ? `failed this run (${o.outcome}${o.detail ? `: ${o.detail}` : ""})` : "not probed this run" });
    }
    if (chosen.length) addresses.set(edge, chosen);
  }
  return { addresses, leftOut };
}

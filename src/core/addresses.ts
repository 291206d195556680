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
 * The addresses to publish for each live edge: those probed this run that did not fail. When every
 * address of a live edge failed, the decision kept a failing edge on purpose (fall, or the fallback
 * that never publishes fewer), so its probed addresses stay. Never an address that was not probed.
 * The left-out addresses are returned, to be reported.
 */
export function publishableAddresses(
  live: readonly string[],
  addressesOf: ReadonlyMap<string, readonly string[]>,
  byAddress: ReadonlyMap<string, Observation>,
  failValue: number,
): { addresses: Map<string, string[]>; leftOut: { edge: string; address: string; reason: string }[] } {
  const addresses = new Map<string, string[]>();
  const leftOut: { edge: string; address: string; reason: string }[] = [];
  for (const edge of live) {
    const all = addressesOf.get(edge) ?? [];
    const probed = all.filter((a) => byAddress.has(a));
    for (const a of all.filter((x) => !byAddress.has(x))) leftOut.push({ edge, address: a, reason: "not probed this run" });
    const good = probed.filter((a) => !failed(byAddress.get(a), failValue));
    if (good.length === 0) {
      if (probed.length) addresses.set(edge, probed);
      continue;
    }
    for (const a of probed.filter((x) => !good.includes(x))) {
      const o = byAddress.get(a)!;
      leftOut.push({ edge, address: a, reason: `failed this run (${o.outcome}${o.detail ? `: ${o.detail}` : ""})` });
    }
    addresses.set(edge, good);
  }
  return { addresses, leftOut };
}

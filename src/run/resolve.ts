import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { canonicalIp, unservable } from "../core/ip.js";

export interface Resolved {
  /** host → its addresses (an address maps to itself); hosts that failed are absent. */
  addresses: Map<string, string[]>;
  /** host → why it has no address this run. */
  failures: Map<string, string>;
}

type Lookup = (host: string) => Promise<string[]>;

const systemLookup: Lookup = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/** The lookup, or a failure once `ms` have passed or `signal` aborts: a silent resolver never holds a run. */
function bounded(look: Lookup, host: string, ms: number, signal: AbortSignal): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => reject(new Error(why));
    if (signal.aborted) return fail("no time left in run_deadline");
    const timer = setTimeout(() => fail(`no answer from the resolver within ${ms / 1000}s`), ms);
    const onAbort = () => (clearTimeout(timer), fail("no answer from the resolver within run_deadline"));
    signal.addEventListener("abort", onAbort, { once: true });
    look(host).then(
      (a) => (clearTimeout(timer), signal.removeEventListener("abort", onAbort), resolve(a)),
      (err: Error) => (clearTimeout(timer), signal.removeEventListener("abort", onAbort), fail(err.message)),
    );
  });
}

/**
 * Each host once. IP literals map to themselves whatever the resolver does; every name's lookup (the
 * system's: /etc/hosts, then DNS) is bounded by `timeoutMs` and by the run's deadline. Addresses no
 * client can be served (0.0.0.0, multicast, …) are never used; a name whose addresses all belong to
 * edges listed before it is counted once: it fails, with the reason.
 */
export async function resolveHosts(hosts: readonly string[], timeoutMs: number, deadline: AbortSignal, look: Lookup = systemLookup): Promise<Resolved> {
  const found = await Promise.all(
    hosts.map(async (h): Promise<[string, string[] | Error]> => {
      if (isIP(h)) return [h, [h]];
      try {
        return [h, await bounded(look, h, timeoutMs, deadline)];
      } catch (err) {
        return [h, err as Error];
      }
    }),
  );
  const out: Resolved = { addresses: new Map(), failures: new Map() };
  const owner = new Map<string, string>();
  // IP literals first: a name that resolves to a listed address is that edge again.
  for (const [h, a] of found) if (!(a instanceof Error) && isIP(h)) owner.set(h, h);
  for (const [h, a] of found) {
    if (a instanceof Error) {
      out.failures.set(h, a.message);
      continue;
    }
    if (isIP(h)) {
      out.addresses.set(h, a);
      continue;
    }
    const canonical = [...new Set(a.map((x) => canonicalIp(x) ?? x))];
    const servable = canonical.filter((x) => unservable(x) === null);
    const fresh = servable.filter((x) => !owner.has(x));
    if (servable.length === 0) out.failures.set(h, `resolves only to addresses that cannot be served: ${canonical.map((x) => `${x} (${unservable(x)})`).join(", ")}`);
    else if (fresh.length === 0) out.failures.set(h, `resolves to ${servable.join(", ")}, already edge ${servable.map((x) => owner.get(x)).join(", ")}: counted once`);
    else {
      for (const x of fresh) owner.set(x, h);
      out.addresses.set(h, fresh);
    }
  }
  return out;
}

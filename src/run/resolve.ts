import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { canonicalIp, unservable } from "../core/ip.js";

export interface Resolved {
  /** host → its addresses (an address maps to itself); hosts that failed are absent. */
  addresses: Map<string, string[]>;
  /** host → why it has no address this run. */
  failures: Map<string, string>;
}

type Lookup = (host: string) => Promise<string[]>;

/** name (lowercase, no trailing dot) → addresses, from a hosts file (Kubernetes hostAliases write it). */
export function parseHosts(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const [address, ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (!address || !isIP(address)) continue;
    for (const n of names) {
      const key = n.toLowerCase().replace(/\.$/, "");
      out.set(key, [...(out.get(key) ?? []), address]);
    }
  }
  return out;
}

function readHosts(file: string): Map<string, string[]> {
  try {
    return parseHosts(readFileSync(file, "utf8").slice(0, 1024 * 1024));
  } catch {
    return new Map();
  }
}

/**
 * The system's names without getaddrinfo: /etc/hosts first, then DNS through c-ares (A and AAAA),
 * each query bounded. getaddrinfo cannot be abandoned: a lookup a silent resolver holds would keep
 * the process from exiting until it gives up; c-ares queries are cancelled once the run is done.
 */
export function systemLookup(timeoutMs: number, hostsFile = "/etc/hosts"): { look: Lookup; close: () => void } {
  const hosts = readHosts(hostsFile);
  const resolver = new (process.getBuiltinModule("node:dns/promises").Resolver)({ timeout: Math.max(1, Math.round(timeoutMs / 2)), tries: 2 });
  const look: Lookup = async (host) => {
    const listed = hosts.get(host.toLowerCase().replace(/\.$/, ""));
    if (listed) return listed;
    const [a, aaaa] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const found = [...(a.status === "fulfilled" ? a.value : []), ...(aaaa.status === "fulfilled" ? aaaa.value : [])];
    if (found.length) return found;
    const err = (a.status === "rejected" ? a.reason : aaaa.status === "rejected" ? aaaa.reason : new Error("no address")) as NodeJS.ErrnoException;
    throw new Error(err.code ?? err.message);
  };
  return { look, close: () => resolver.cancel() };
}

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
 * Each host once. IP literals map to themselves whatever the resolver does; every name's lookup
 * (/etc/hosts, then DNS) is bounded by `timeoutMs` and by the run's deadline. Addresses no
 * client can be served (0.0.0.0, multicast, …) are never used; a name whose addresses all belong to
 * edges listed before it is counted once: it fails, with the reason.
 */
export async function resolveHosts(hosts: readonly string[], timeoutMs: number, deadline: AbortSignal, lookup?: Lookup): Promise<Resolved> {
  // The resolver (and node's dns module) at the first name: most edge lists are addresses only.
  let system: ReturnType<typeof systemLookup> | undefined;
  const look: Lookup = lookup ?? ((h) => (system ??= systemLookup(timeoutMs)).look(h));
  // IP literals without a promise each: a thousand of them were some 5 ms before the first probe.
  const names = hosts.filter((h) => !isIP(h));
  const looked = new Map<string, string[] | Error>(await Promise.all(names.map((h) => bounded(look, h, timeoutMs, deadline).then((a): [string, string[]] => [h, a], (err: Error): [string, Error] => [h, err]))));
  system?.close();
  const out: Resolved = { addresses: new Map(), failures: new Map() };
  const owner = new Map<string, string>();
  // IP literals first: a name that resolves to a listed address is that edge again.
  for (const h of hosts) if (!looked.has(h)) owner.set(h, h);
  for (const h of hosts) {
    const a = looked.get(h);
    if (a === undefined) {
      out.addresses.set(h, [h]);
      continue;
    }
    if (a instanceof Error) {
      out.failures.set(h, a.message);
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

import type { CertInfo, NetworkState } from "./state.js";

/** Whole days until the certificate expires (negative once it has). */
export const certDaysLeft = (c: Pick<CertInfo, "notAfter">, now: number): number => Math.floor((c.notAfter - now) / 86_400);

/**
 * Warnings about the certificates the edges presented in this run: expiring within `warnDays`
 * (or expired), or not valid for testobject.host. Pure; the run logs them and the plan shows them.
 */
export function certWarnings(state: NetworkState, edges: readonly string[], now: number, warnDays: number): { edge: string; message: string }[] {
  const out: { edge: string; message: string }[] = [];
  for (const edge of edges) {
    const c = state.edges[edge]?.cert;
    if (!c || c.seen !== now) continue;
    const days = certDaysLeft(c, now);
    const when = new Date(c.notAfter * 1000).toISOString();
    if (c.notAfter <= now) out.push({ edge, message: `certificate of ${edge} expired on ${when} (issuer ${c.issuer})` });
    else if (days < warnDays) out.push({ edge, message: `certificate of ${edge} expires in ${days} day(s), on ${when} (issuer ${c.issuer}; cert_warn_days ${warnDays})` });
    if (!c.nameMatch) out.push({ edge, message: `certificate of ${edge} is not valid for the test object's host name (issuer ${c.issuer})` });
  }
  return out;
}

import { type Observation, failed } from "./observation.js";

/** One vantage's observations of a run. */
export interface VantageView {
  name: string;
  /** When its run probed (epoch seconds). */
  time: number;
  observations: ReadonlyMap<string, Observation>;
}

export interface Disagreement {
  edge: string;
  /** vantage → what it saw: `0.120s` or `fail (refused)` */
  views: Record<string, string>;
  result: string;
}

export interface Combined {
  observations: Map<string, Observation>;
  fresh: string[];
  /** Peers with no observations, or only older than stale_after: name → why. */
  stale: Map<string, string>;
  /** The quorum applied: the configured one, or the number of fresh vantages when fewer are fresh. */
  quorum: number;
  warning: string | null;
  disagreements: Disagreement[];
}

const median = (values: number[]): number => {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
};

const seen = (o: Observation, failValue: number) => (failed(o, failValue) ? `fail (${o.outcome})` : `${o.seconds.toFixed(3)}s`);

/**
 * Several vantage points, one observation per edge. Per edge, over the fresh vantages that probed it:
 * a failure when at least a quorum of them saw it fail; otherwise the median of the fetch times of
 * those that saw it pass, so one disagreeing vantage can neither fail an edge nor move its time far.
 * With fewer fresh vantages than the quorum, the quorum is the number present (alone, a vantage is
 * a single prober). Pure.
 */
export function combineVantages(self: VantageView, others: readonly (VantageView | null)[], peers: readonly string[], now: number, staleAfter: number, quorum: number, failValue: number): Combined {
  const byName = new Map(others.filter((v): v is VantageView => v !== null).map((v) => [v.name, v]));
  const stale = new Map<string, string>();
  const views: VantageView[] = [self];
  for (const p of peers) {
    if (p === self.name) continue;
    const v = byName.get(p);
    if (!v) stale.set(p, "no observations");
    else if (now - v.time > staleAfter) stale.set(p, `observations ${Math.round(now - v.time)}s old (stale_after ${staleAfter}s)`);
    else views.push(v);
  }
  const q = Math.min(quorum, views.length);
  const warning = views.length < quorum ? `only ${views.length} of ${peers.length} vantages are fresh (quorum ${quorum}): deciding from those present` : null;
  const observations = new Map<string, Observation>();
  const disagreements: Disagreement[] = [];
  for (const edge of self.observations.keys()) {
    const got = views.flatMap((v) => {
      const o = v.observations.get(edge);
      return o ? [[v.name, o] as const] : [];
    });
    const failing = got.filter(([, o]) => failed(o, failValue));
    const passing = got.filter(([, o]) => !failed(o, failValue));
    const own = self.observations.get(edge)!;
    let result: Observation;
    if (failing.length >= q || passing.length === 0) {
      const mine = failed(own, failValue) ? own : failing[0]![1];
      result = { ...mine, seconds: failValue, detail: `failed from ${failing.length} of ${got.length} vantages (${failing.map(([n]) => n).join(", ")})${mine.detail ? `: ${mine.detail}` : ""}` };
    } else {
      const { detail: _ownDetail, ...rest } = own;
      result = { ...rest, seconds: median(passing.map(([, o]) => o.seconds)), outcome: "ok", ...(failing.length ? { detail: `failing from ${failing.map(([n]) => n).join(", ")} only: outvoted` } : {}) };
    }
    observations.set(edge, result);
    if (failing.length > 0 && passing.length > 0) disagreements.push({ edge, views: Object.fromEntries(got.map(([n, o]) => [n, seen(o, failValue)])), result: seen(result, failValue) });
  }
  return { observations, fresh: views.map((v) => v.name), stale, quorum: q, warning, disagreements };
}

/** One decision per interval: a state already written in this interval was decided by another vantage. */
export const sameInterval = (lastRun: number | null, now: number, interval: number): boolean => lastRun !== null && Math.floor(lastRun / interval) === Math.floor(now / interval);

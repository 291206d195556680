import type { EdgeRecord, NetworkState, Series } from "./state.js";

/**
 * A state from the future (a clock that was ahead, a state copied from another system) would block
 * `dnschange_maxfreq` and the 30 s spacing until then: every time after `now` is brought back to `now`.
 * Pure; returns how many times were moved, for a warning.
 */
export function clampFuture(state: NetworkState, now: number): { state: NetworkState; clamped: number } {
  let clamped = 0;
  const t = (v: number) => (v > now ? (clamped++, now) : v);
  const series = (s: Series): Series => ({ t: s.t.map(t), v: s.v });
  const edge = (e: EdgeRecord): EdgeRecord => ({ ...e, samples: series(e.samples), hourly: series(e.hourly), rotations: e.rotations.map(t), changed: e.changed === null ? null : t(e.changed), cert: e.cert && { ...e.cert, seen: t(e.cert.seen) } });
  const records = (r: Record<string, EdgeRecord>) => Object.fromEntries(Object.entries(r).map(([k, e]) => [k, edge(e)]));
  const next: NetworkState = {
    ...state,
    lastRun: state.lastRun === null ? null : t(state.lastRun),
    rotations: state.rotations.map(t),
    substitutions: state.substitutions.map(t),
    edges: records(state.edges),
    canaries: records(state.canaries),
    zones: Object.fromEntries(Object.entries(state.zones).map(([k, z]) => [k, z.written === undefined ? z : { ...z, written: t(z.written) }])),
  };
  return { state: clamped ? next : state, clamped };
}

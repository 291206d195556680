import { type RuleContext, type Selection, add, error } from "../selection.js";

/** Never publish fewer than we can: fall back to previously live edges, failing or not; never empty. */
export function fallBack(sel: Selection, ctx: RuleContext): Selection {
  let s = sel;
  if (s.live.length < ctx.wanted) {
    const healthy = s.live.length;
    for (const e of ctx.prevLive.filter((x) => !s.live.includes(x) && ctx.inList.has(x) && ctx.mode(x) !== "unavailable")) {
      if (s.live.length >= ctx.wanted) break;
      s = add(s, e, `kept though judged ${ctx.judgement(e)}: not enough healthy edges to reach ${ctx.wanted}`);
    }
    if (s.live.length > healthy) s = error(s, `only ${healthy} healthy edges for ${ctx.wanted} places: kept ${s.live.length - healthy} previously live edge(s) that are failing`);
    if (s.live.length < ctx.wanted) s = error(s, `only ${s.live.length} of ${ctx.wanted} wanted edges could be published`);
  }
  if (s.live.length === 0 && ctx.prevLive.length > 0) {
    s = error(s, "no edge is fit to publish: keeping the previous live set unchanged");
    for (const e of ctx.prevLive) s = add(s, e, "kept: nothing else to publish");
  }
  return s;
}

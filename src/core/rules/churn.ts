import { JUDGEMENT_RANK } from "../judge.js";
import { type RuleContext, type Selection, add, remove } from "../selection.js";

/**
 * dnschange_maxfreq: failing edges are always replaced; a previously live edge that is healthy but
 * slower is swapped out only while the 10-minute budget allows, otherwise it stays in place of the
 * weakest newcomer.
 */
export function limitChurn(sel: Selection, ctx: RuleContext): Selection {
  if (ctx.prevLive.length === 0) return sel;
  let s = sel;
  const isFailingOut = (e: string) => !ctx.inList.has(e) || ctx.mode(e) === "unavailable" || ctx.judgement(e) === "fail";
  const removed = ctx.prevLive.filter((e) => !s.live.includes(e));
  const added = s.live.filter((e) => !ctx.prevSet.has(e));
  const forcedSwaps = Math.min(removed.filter(isFailingOut).length, added.length);
  const max = ctx.settings.maxChangesPer10Min;
  let budget = max - ctx.recentSubstitutions.length - forcedSwaps;
  const healthyRemoved = removed.filter((e) => !isFailingOut(e)).sort((a, b) => JUDGEMENT_RANK[ctx.judgement(a)] - JUDGEMENT_RANK[ctx.judgement(b)] || ctx.average(a) - ctx.average(b));
  for (const e of healthyRemoved) {
    const swapOut = s.filled.filter((f) => !ctx.prevSet.has(f) && s.live.includes(f)).at(-1);
    if (swapOut === undefined) break;
    if (budget > 0) {
      budget--;
      continue;
    }
    s = remove(s, swapOut, `would join, but dnschange_maxfreq (${max} per 10 min) is used up`);
    s = add(s, e, `stays though judged ${ctx.judgement(e)}: dnschange_maxfreq (${max} per 10 min) is used up`);
  }
  return s;
}

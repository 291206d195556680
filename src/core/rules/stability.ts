import { type RuleContext, type Selection, add, out } from "../selection.js";

/**
 * Stability first: previously live edges still judged pass_threshold stay (no DNS change while the
 * old set is healthy). With `fall` above 1, a live edge that fails stays until it has failed `fall`
 * runs in a row.
 */
export function keepStable(sel: Selection, ctx: RuleContext): Selection {
  let s = sel;
  for (const e of ctx.prevLive) {
    const j = ctx.judgement(e);
    const fails = ctx.streak(e).fails;
    if (!ctx.inList.has(e)) s = out(s, e, "no longer in the edge list");
    else if (ctx.mode(e) === "unavailable") s = out(s, e, "mode unavailable (drained by operator)");
    else if (j === "pass_threshold") {
      if (s.live.length < ctx.wanted) s = add(s, e, `was live and still pass_threshold: ${ctx.verdict(e)!.reason}`);
    } else if (j === "fail" && fails < ctx.settings.fall) {
      if (s.live.length < ctx.wanted) s = add(s, e, `fall: failed ${fails} run(s) in a row, dropped after ${ctx.settings.fall}`);
    } else s = out(s, e, j === "fail" && ctx.settings.fall > 1 ? `fall: failed ${fails} runs in a row (fall ${ctx.settings.fall}): ${ctx.verdict(e)!.reason}` : `judged ${j}: ${ctx.verdict(e)!.reason}`);
  }
  return s;
}

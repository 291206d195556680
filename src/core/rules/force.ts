import { type RuleContext, type Selection, add, out } from "../selection.js";

/** Operator intent: forced edges join even when that takes the set over N. */
export function addForced(sel: Selection, ctx: RuleContext): Selection {
  let s = sel;
  for (const e of ctx.edges) {
    if (s.live.includes(e)) continue;
    if (ctx.mode(e) === "blindforce") s = add(s, e, "mode blindforce: published regardless of health");
    else if (ctx.mode(e) === "force") {
      s = ctx.judgement(e) !== "fail" ? add(s, e, `mode force and not failing (${ctx.judgement(e)})`) : out(s, e, `mode force but failing: ${ctx.verdict(e)!.reason}`);
    }
  }
  return s;
}

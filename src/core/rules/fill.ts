import { JUDGEMENT_RANK } from "../judge.js";
import { type RuleContext, type Selection, add, out } from "../selection.js";
import { byCodeUnit } from "../../util/order.js";

/** With `rise` above 1, an edge that has failed joins only after passing `rise` runs in a row. */
export function heldByRise(e: string, ctx: RuleContext): boolean {
  const st = ctx.streak(e);
  return st.everFailed && st.passes < ctx.settings.rise;
}

/** Flap damping (flap_window and flap_limit both set): came back after failing more than flap_limit times in the window. */
export function flapping(e: string, ctx: RuleContext): boolean {
  const { flapWindow, flapLimit } = ctx.settings;
  return flapWindow !== null && flapLimit !== null && ctx.flaps(e) > flapLimit;
}

/**
 * Fill the remaining places from the best judged: steady edges before flapping ones, then by
 * judgement, then lowest mean, then name (a stable order). Failing and drained edges never fill.
 */
export function fill(sel: Selection, ctx: RuleContext): Selection {
  let s = sel;
  const eligible = ctx.edges.filter((e) => !s.live.includes(e) && ctx.mode(e) === "available" && ctx.judgement(e) !== "fail");
  for (const e of eligible.filter((x) => heldByRise(x, ctx))) s = out(s, e, `rise: passed ${ctx.streak(e).passes} of the ${ctx.settings.rise} runs in a row it needs after failing`);
  // Each candidate's sort key reckoned once, not at every comparison (thousands of edges).
  const candidates = eligible
    .filter((e) => !heldByRise(e, ctx))
    .map((e) => ({ e, flapping: Number(flapping(e, ctx)), rank: JUDGEMENT_RANK[ctx.judgement(e)], average: ctx.average(e) }))
    .sort((a, b) => a.flapping - b.flapping || a.rank - b.rank || a.average - b.average || byCodeUnit(a.e, b.e))
    .map((k) => k.e);
  for (const e of candidates) {
    if (s.live.length >= ctx.wanted) {
      if (flapping(e, ctx)) s = out(s, e, `flapping: rejoined ${ctx.flaps(e)} times after failing in ${ctx.settings.flapWindow}s (flap_limit ${ctx.settings.flapLimit}); steadier edges fill first`);
      continue;
    }
    const flap = flapping(e, ctx) ? ` (flapping: rejoined ${ctx.flaps(e)} times after failing in ${ctx.settings.flapWindow}s, filled after every steadier candidate)` : "";
    s = add(s, e, `best available: judged ${ctx.judgement(e)}, mean ${ctx.average(e).toFixed(3)}s${flap}`, true);
  }
  return s;
}

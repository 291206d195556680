import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type DecideInput, type Observation, decide } from "../src/core/decide.js";
import { DEFAULT_LIMITS, seriesOf } from "../src/core/history.js";
import { judge } from "../src/core/judge.js";
import { flapsOf, streakOf } from "../src/core/records.js";
import { fill } from "../src/core/rules/fill.js";
import { type GuardSettings, assessGuard } from "../src/core/rules/guard.js";
import { keepStable } from "../src/core/rules/stability.js";
import { type RuleContext, emptySelection } from "../src/core/selection.js";
import { type EdgeRecord, type GuardState, emptyEdge, emptyState } from "../src/core/state.js";

const NOW = 1_800_000_000;
const GOOD = 0.5;
const FAIL = 10;
const ok = (seconds: number): Observation => ({ seconds, outcome: "ok" });
const down: Observation = { seconds: FAIL, outcome: "refused" };
/** One sample per minute, oldest first, the last one at NOW. */
const history = (values: number[], extra: Partial<EdgeRecord> = {}): EdgeRecord => ({ ...emptyEdge(), samples: seriesOf(values.map((v, i) => [NOW - 60 * (values.length - 1 - i), v] as [number, number])), ...extra });

/** A rule context over records whose last sample is this run's. */
function ctx(records: Record<string, EdgeRecord>, over: Partial<RuleContext["settings"]> & { prevLive?: string[]; wanted?: number } = {}): RuleContext {
  const edges = Object.keys(records);
  const verdicts = new Map(edges.map((e) => [e, judge(records[e]!.samples, NOW, GOOD, FAIL)]));
  const prevLive = over.prevLive ?? [];
  const flapWindow = over.flapWindow ?? null;
  return {
    now: NOW,
    wanted: over.wanted ?? 2,
    edges,
    inList: new Set(edges),
    prevLive,
    prevSet: new Set(prevLive),
    mode: (e) => records[e]?.mode ?? "available",
    judgement: (e) => verdicts.get(e)!.judgement,
    verdict: (e) => verdicts.get(e),
    average: (e) => verdicts.get(e)?.average ?? Infinity,
    streak: (e) => streakOf(records[e]!.samples, FAIL),
    flaps: (e) => (flapWindow === null ? 0 : flapsOf(records[e], NOW, flapWindow, FAIL)),
    settings: { rise: over.rise ?? 1, fall: over.fall ?? 1, flapWindow, flapLimit: over.flapLimit ?? null, maxChangesPer10Min: 10 },
    recentSubstitutions: [],
  };
}

describe("streaks from the samples", () => {
  const cases: [string, number[], { passes: number; fails: number; everFailed: boolean }][] = [
    ["no samples", [], { passes: 0, fails: 0, everFailed: false }],
    ["always passing", [0.1, 0.2], { passes: 2, fails: 0, everFailed: false }],
    ["failing twice now", [0.1, FAIL, FAIL], { passes: 0, fails: 2, everFailed: true }],
    ["passing once since a failure", [FAIL, 0.1], { passes: 1, fails: 0, everFailed: true }],
  ];
  for (const [name, values, want] of cases) test(name, () => assert.deepEqual(streakOf(history(values).samples, FAIL), want));
});

describe("rule: stability, with fall", () => {
  const cases: [string, Record<string, EdgeRecord>, number, string[], RegExp | null][] = [
    ["fall 1 (default): a live edge that fails once is dropped", { a: history([0.1, FAIL]), b: history([0.1, 0.1]) }, 1, ["b"], /^judged fail/],
    ["fall 2: one failure keeps it", { a: history([0.1, FAIL]), b: history([0.1, 0.1]) }, 2, ["a", "b"], null],
    ["fall 2: two failures in a row drop it", { a: history([0.1, FAIL, FAIL]), b: history([0.1, 0.1, 0.1]) }, 2, ["b"], /^fall: failed 2 runs in a row \(fall 2\)/],
    ["fall 3: failures that are not in a row do not add up", { a: history([FAIL, 0.1, FAIL]), b: history([0.1, 0.1, 0.1]) }, 3, ["a", "b"], null],
  ];
  for (const [name, records, fall, live, outReason] of cases) {
    test(name, () => {
      const s = keepStable(emptySelection(), ctx(records, { fall, prevLive: ["a", "b"] }));
      assert.deepEqual(s.live, live);
      if (outReason) assert.match(s.outReasons.get("a")!, outReason);
      if (fall > 1 && live.includes("a")) assert.match(s.reasons.get("a")!, /^fall: failed 1 run\(s\) in a row, dropped after \d$/);
    });
  }
});

/** Up, down, up, down …: joined at NOW-400, -280, -160 and -40, each time after failing. */
const flappy = () => history([0.01, FAIL, 0.01, FAIL, 0.01, FAIL, 0.01, FAIL, 0.01, 0.01], { rotations: [NOW - 420, NOW - 300, NOW - 180, NOW - 60] });

describe("rule: fill, with rise and flap damping", () => {
  const cases: [string, Record<string, EdgeRecord>, Partial<RuleContext["settings"]>, string[], [string, RegExp][]][] = [
    // Three places: the recovered edge's mean still carries its failure, so it fills last.
    ["rise 1 (default): a recovered edge joins at once", { a: history([FAIL, 0.05]), b: history([0.2, 0.2]), c: history([0.3, 0.3]), d: history([FAIL, FAIL]) }, {}, ["b", "c", "a"], []],
    ["rise 2: one pass after a failure is not enough", { a: history([FAIL, 0.05]), b: history([0.2, 0.2]), c: history([0.3, 0.3]), d: history([FAIL, FAIL]) }, { rise: 2 }, ["b", "c"], [["a", /^rise: passed 1 of the 2 runs in a row it needs after failing$/]]],
    ["rise 2: two passes in a row are", { a: history([FAIL, 0.05, 0.05]), b: history([0.2, 0.2, 0.2]), c: history([0.3, 0.3, 0.3]), d: history([FAIL, FAIL, FAIL]) }, { rise: 2 }, ["b", "c", "a"], []],
    ["rise applies only to edges that failed", { a: history([0.05]), b: history([0.2]), c: history([0.3]) }, { rise: 3 }, ["a", "b"], []],
    [
      "flapping edges fill after every steadier candidate, even better judged ones",
      { a: flappy(), b: history([0.9]), c: history([0.95]) },
      { flapWindow: 3600, flapLimit: 2 },
      ["b", "c"],
      [["a", /^flapping: rejoined 4 times after failing in 3600s \(flap_limit 2\)/]],
    ],
    ["flap damping off by default: the pass_threshold edge comes first", { a: flappy(), b: history([0.9]), c: history([0.95]) }, {}, ["a", "b"], []],
    ["a flapping edge still fills when nothing steadier is left", { a: flappy(), b: history([0.2]) }, { flapWindow: 3600, flapLimit: 2 }, ["b", "a"], []],
    ["an edge that joined often but never failed is not flapping", { a: history([0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01], { rotations: [NOW - 400, NOW - 280, NOW - 160] }), b: history([0.2]), c: history([0.3]) }, { flapWindow: 3600, flapLimit: 2 }, ["a", "b"], []],
  ];
  for (const [name, records, settings, live, outs] of cases) {
    test(name, () => {
      const s = fill(emptySelection(), ctx(records, { ...settings, wanted: "d" in records ? 3 : 2 }));
      assert.deepEqual(s.live, live);
      for (const [e, why] of outs) assert.match(s.outReasons.get(e)!, why);
    });
  }
});

describe("rule: the mass-failure guard", () => {
  const S: GuardSettings = { maxFailingFraction: 0.5, maxFrozenRuns: 2 };
  const prev = (suspectRuns = 0): GuardState => ({ suspectRuns, passedLastGood: ["a", "b", "c", "d"] });
  const obs = (failing: string[]) => new Map(["a", "b", "c", "d"].map((e) => [e, failing.includes(e) ? down : ok(0.1)]));
  const cases: [string, GuardState, string[], Record<string, boolean>, string, number, RegExp | null][] = [
    ["one of four failing is not suspect", prev(), ["a"], {}, "clear", 0, null],
    ["half failing, no controls: frozen", prev(), ["a", "b"], {}, "frozen", 1, /2 of the 4 edges that passed in the last good run fail now \(no guard.control/],
    ["half failing, every control failing: frozen", prev(), ["a", "b"], { "http://c1": false }, "frozen", 1, /and every control \(1\) fails/],
    ["half failing, a control answers: the edges really fail", prev(), ["a", "b"], { "http://c1": true, "http://c2": false }, "edges_failing", 0, /but 1 of 2 controls answer: the edges really fail/],
    ["every control failing though the edges pass: frozen", prev(), [], { "http://c1": false }, "frozen", 1, /0 of the 4 edges .*every control \(1\) fails/],
    ["max_frozen_runs reached: released", prev(2), ["a", "b", "c", "d"], {}, "released", 3, /2 suspect runs in a row already \(max_frozen_runs 2\): letting go/],
    ["no base yet (first run): not suspect", { suspectRuns: 0, passedLastGood: [] }, ["a", "b", "c", "d"], {}, "clear", 0, null],
  ];
  for (const [name, p, failing, controls, status, suspectRuns, reason] of cases) {
    test(name, () => {
      const g = assessGuard(p, ["a", "b", "c", "d"], obs(failing), new Map(Object.entries(controls)), FAIL, S);
      assert.equal(g.status, status);
      assert.equal(g.next.suspectRuns, suspectRuns);
      if (reason) assert.match(g.reason!, reason);
      if (status === "clear") assert.deepEqual(g.next.passedLastGood, ["a", "b", "c", "d"].filter((e) => !failing.includes(e)));
      else assert.deepEqual(g.next.passedLastGood, p.passedLastGood, "the base stays that of the last good run");
    });
  }
});

describe("decide with the guard", () => {
  const edges = ["a", "b", "c", "d"];
  const records = Object.fromEntries(edges.map((e) => [e, history([0.1, 0.1])]));
  const input = (o: Record<string, Observation>, suspectRuns = 0, controls: Record<string, boolean> = {}): DecideInput => ({
    now: NOW + 60,
    edges,
    canaries: new Map([["example.com", "z"]]),
    observations: new Map([...Object.entries(o), ["z", ok(0.1)]]),
    controls: new Map(Object.entries(controls)),
    previous: {
      ...emptyState("t"),
      lastLive: ["a", "b"],
      edges: records,
      canaries: { z: history([0.1]) },
      zones: { "example.com": { hash: "h", serial: 1, canary: null } },
      guard: { suspectRuns, passedLastGood: edges },
    },
    settings: { edgeCount: 2, goodenough: GOOD, failValue: FAIL, maxChangesPer10Min: 10, canaryKiller: 3, limits: DEFAULT_LIMITS, guard: { maxFailingFraction: 0.5, maxFrozenRuns: 5 } },
  });
  const allDown = Object.fromEntries(edges.map((e) => [e, down]));

  test("a frozen run keeps the live set and canaries as they were and records no sample", () => {
    const d = decide(input(allDown));
    assert.equal(d.guard.status, "frozen");
    assert.deepEqual(d.live, ["a", "b"]);
    assert.equal(d.liveChanged, false);
    assert.deepEqual(d.canaryFor.get("example.com"), { address: null, reason: "guard: kept as last published" });
    for (const e of edges) assert.equal(d.state.edges[e]!.samples.t.length, 2, `no sample added to ${e}`);
    assert.equal(d.state.canaries.z!.samples.t.length, 1);
    assert.equal(d.state.guard.suspectRuns, 1);
    assert.match(d.errors.join("\n"), /guard: mass failure suspected/);
  });

  test("released after max_frozen_runs: the normal rules apply (here: the all-down fallback)", () => {
    const d = decide(input(allDown, 5));
    assert.equal(d.guard.status, "released");
    assert.deepEqual(d.live, ["a", "b"]);
    assert.equal(d.state.edges.a!.samples.t.length, 3, "samples recorded again");
    assert.match(d.errors.join("\n"), /letting go/);
    assert.match(d.errors.join("\n"), /kept 2 previously live edge\(s\) that are failing/);
  });

  test("controls answering: the failing live edges are replaced at once", () => {
    const d = decide(input({ a: down, b: down, c: ok(0.1), d: ok(0.2) }, 0, { "http://origin/": true }));
    assert.equal(d.guard.status, "edges_failing");
    assert.deepEqual(d.live, ["c", "d"]);
  });

  test("a clear run resets the count and takes this run's passing edges as the base", () => {
    const d = decide(input({ a: ok(0.1), b: ok(0.1), c: ok(0.1), d: down }, 3));
    assert.equal(d.guard.status, "clear");
    assert.deepEqual(d.state.guard, { suspectRuns: 0, passedLastGood: ["a", "b", "c"] });
  });
});

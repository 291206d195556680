import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type DecideInput, type Observation, decide } from "../src/core/decide.js";
import { DEFAULT_LIMITS, seriesOf } from "../src/core/history.js";
import { type EdgeRecord, type Mode, type NetworkState, emptyEdge, emptyState } from "../src/core/state.js";

const NOW = 1_800_000_000;
const GOOD = 0.5;
const FAIL = 10;

/** An edge with one sample per minute: `past` oldest first, ending one minute before NOW. */
function edge(past: number[], mode: Mode = "available", state: "in" | "out" = "out"): EdgeRecord {
  return { ...emptyEdge(), mode, state, samples: seriesOf(past.map((v, i) => [NOW - 60 * (past.length - i), v] as [number, number])) };
}

const ok = (seconds: number): Observation => ({ seconds, outcome: "ok" });
const down: Observation = { seconds: FAIL, outcome: "timeout" };

interface Case {
  name: string;
  edges: string[];
  records?: Record<string, EdgeRecord>;
  lastLive?: string[];
  obs: Record<string, Observation>;
  n?: number;
  maxfreq?: number;
  substitutions?: number[];
  canaries?: Record<string, string>;
  canaryKiller?: number;
  expectLive: string[];
  expectChanged?: boolean;
  expectErrors?: RegExp;
  expectCanary?: Record<string, string | null>;
  expectDisabled?: boolean;
}

function input(c: Case): DecideInput {
  const previous: NetworkState = { ...emptyState("t"), lastLive: c.lastLive ?? [], substitutions: c.substitutions ?? [], edges: c.records ?? {} };
  return {
    now: NOW,
    edges: c.edges,
    canaries: new Map(Object.entries(c.canaries ?? {})),
    observations: new Map(Object.entries(c.obs)),
    previous,
    settings: { edgeCount: c.n ?? 2, goodenough: GOOD, failValue: FAIL, maxChangesPer10Min: c.maxfreq ?? 10, canaryKiller: c.canaryKiller ?? 3, limits: DEFAULT_LIMITS },
  };
}

const cases: Case[] = [
  {
    name: "fills with the fastest edges on a first run",
    edges: ["a", "b", "c", "d"],
    obs: { a: ok(0.3), b: ok(0.1), c: ok(0.2), d: ok(0.05) },
    expectLive: ["d", "b"],
    expectChanged: true,
  },
  {
    name: "stability: a healthy live set stays even when faster edges exist",
    edges: ["a", "b", "c", "d"],
    lastLive: ["a", "b"],
    obs: { a: ok(0.4), b: ok(0.45), c: ok(0.01), d: ok(0.02) },
    expectLive: ["a", "b"],
    expectChanged: false,
  },
  {
    name: "a failing live edge is replaced by the best other",
    edges: ["a", "b", "c", "d"],
    lastLive: ["a", "b"],
    obs: { a: ok(0.1), b: down, c: ok(0.3), d: ok(0.2) },
    expectLive: ["a", "d"],
    expectChanged: true,
  },
  {
    name: "fill order: pass_threshold, then pass_window, then pass_average, then pass",
    n: 4,
    edges: ["thr", "win", "avg", "slow", "dead"],
    records: {
      win: edge([0.1, 0.1, 0.1]),
      avg: edge([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.9]),
      slow: edge([0.9, 0.9]),
    },
    obs: { thr: ok(0.45), win: ok(0.8), avg: ok(0.8), slow: ok(0.8), dead: down },
    expectLive: ["thr", "win", "avg", "slow"],
  },
  {
    name: "within one judgement the lowest mean goes first",
    n: 1,
    edges: ["a", "b"],
    records: { a: edge([0.4, 0.4, 0.4]), b: edge([0.05, 0.05, 0.05]) },
    obs: { a: ok(0.1), b: ok(0.2) },
    expectLive: ["b"],
  },
  {
    name: "force: a slow but not failing forced edge joins; a failing one does not",
    edges: ["a", "b", "f1", "f2"],
    records: { f1: edge([], "force"), f2: edge([], "force") },
    obs: { a: ok(0.1), b: ok(0.1), f1: ok(3), f2: down },
    expectLive: ["f1", "a"],
  },
  {
    name: "stability first: a healthy live set stays and a forced edge joins on top of it",
    edges: ["a", "b", "c", "f"],
    lastLive: ["a", "b"],
    records: { f: edge([], "force") },
    obs: { a: ok(0.2), b: ok(0.3), c: ok(0.01), f: ok(0.9) },
    expectLive: ["a", "b", "f"],
  },
  {
    name: "blindforce: joins even when failing",
    edges: ["a", "b", "bf"],
    records: { bf: edge([], "blindforce") },
    obs: { a: ok(0.1), b: ok(0.2), bf: down },
    expectLive: ["bf", "a"],
  },
  {
    name: "unavailable: the fastest edge is drained and a live one is dropped",
    edges: ["a", "b", "c", "u"],
    lastLive: ["a", "u"],
    records: { u: edge([0.01], "unavailable", "in") },
    obs: { a: ok(0.1), b: ok(0.3), c: ok(0.2), u: ok(0.01) },
    expectLive: ["a", "c"],
  },
  {
    name: "all edges down: the previous live set is kept, with an error",
    edges: ["a", "b", "c"],
    lastLive: ["a", "b"],
    obs: { a: down, b: down, c: down },
    expectLive: ["a", "b"],
    expectChanged: false,
    expectErrors: /failing/,
  },
  {
    name: "not enough healthy edges: fill what is healthy, then keep a failing previous edge",
    edges: ["a", "b", "c"],
    lastLive: ["a", "b"],
    obs: { a: down, b: down, c: ok(0.1) },
    expectLive: ["c", "a"],
    expectErrors: /only 1 healthy edges/,
  },
  {
    name: "first run with every edge down publishes nothing and says so",
    edges: ["a", "b"],
    obs: { a: down, b: down },
    expectLive: [],
    expectErrors: /only 0 of 2/,
  },
  {
    name: "an edge removed from the edge list leaves the live set",
    edges: ["a", "c"],
    lastLive: ["a", "b"],
    obs: { a: ok(0.1), c: ok(0.2) },
    expectLive: ["a", "c"],
  },
  {
    name: "churn limit: a healthy-but-slower live edge stays when the budget is used up",
    edges: ["a", "b", "c"],
    lastLive: ["a", "b"],
    maxfreq: 2,
    substitutions: [NOW - 100, NOW - 200],
    records: { b: edge([0.1, 0.1], "available", "in") },
    obs: { a: ok(0.1), b: ok(0.7), c: ok(0.05) },
    expectLive: ["a", "b"],
    expectChanged: false,
  },
  {
    name: "churn limit: with budget left the slower edge is swapped",
    edges: ["a", "b", "c"],
    lastLive: ["a", "b"],
    maxfreq: 2,
    substitutions: [NOW - 100, NOW - 900],
    records: { b: edge([0.1, 0.1], "available", "in") },
    obs: { a: ok(0.1), b: ok(0.7), c: ok(0.05) },
    expectLive: ["a", "c"],
  },
  {
    name: "churn limit: a failing edge is replaced even with no budget left",
    edges: ["a", "b", "c"],
    lastLive: ["a", "b"],
    maxfreq: 1,
    substitutions: [NOW - 10],
    obs: { a: ok(0.1), b: down, c: ok(0.2) },
    expectLive: ["a", "c"],
  },
  {
    name: "canary judged pass_threshold is used for its zone only",
    edges: ["a", "b"],
    canaries: { "one.org": "10.9.0.1", "two.org": "10.9.0.2" },
    records: {},
    obs: { a: ok(0.1), b: ok(0.2), "10.9.0.1": ok(0.1), "10.9.0.2": ok(3) },
    expectLive: ["a", "b"],
    expectCanary: { "one.org": "10.9.0.1", "two.org": null },
  },
  {
    name: "canary_killer: enough failing canaries disable every canary",
    edges: ["a", "b"],
    canaryKiller: 2,
    canaries: { "one.org": "10.9.0.1", "two.org": "10.9.0.2", "three.org": "10.9.0.3" },
    obs: { a: ok(0.1), b: ok(0.2), "10.9.0.1": ok(0.1), "10.9.0.2": down, "10.9.0.3": down },
    expectLive: ["a", "b"],
    expectCanary: { "one.org": null, "two.org": null, "three.org": null },
    expectDisabled: true,
  },
  {
    name: "a canary not probed this run (cancelled) is not used",
    edges: ["a", "b"],
    canaries: { "one.org": "10.9.0.1" },
    obs: { a: ok(0.1), b: ok(0.2) },
    expectLive: ["a", "b"],
    expectCanary: { "one.org": null },
  },
];

describe("decide: choosing the live set", () => {
  for (const c of cases) {
    test(c.name, () => {
      const d = decide(input(c));
      assert.deepEqual(d.live, c.expectLive);
      if (c.expectChanged !== undefined) assert.equal(d.liveChanged, c.expectChanged);
      if (c.expectErrors) assert.match(d.errors.join("\n"), c.expectErrors);
      else assert.deepEqual(d.errors, []);
      if (c.expectCanary) assert.deepEqual(Object.fromEntries([...d.canaryFor].map(([z, v]) => [z, v.address])), c.expectCanary);
      if (c.expectDisabled !== undefined) assert.equal(d.canariesDisabled, c.expectDisabled);
      // The state handed on reflects the decision.
      assert.deepEqual(d.state.lastLive, d.live);
      for (const e of c.edges) assert.equal(d.state.edges[e]!.state, d.live.includes(e) ? "in" : "out", `state of ${e}`);
    });
  }
});

describe("decide: the next state", () => {
  test("records a sample per observed edge, health, rotations and substitutions", () => {
    const d = decide(input({ name: "", edges: ["a", "b", "c"], lastLive: ["a", "b"], obs: { a: ok(0.1), b: down, c: ok(0.2) }, expectLive: [] }));
    assert.deepEqual(d.state.edges.a!.samples, { t: [NOW], v: [0.1] });
    assert.deepEqual(d.state.edges.b!.samples, { t: [NOW], v: [FAIL] });
    assert.equal(d.state.edges.b!.health, "fail");
    assert.equal(d.state.edges.c!.health, "pass_threshold");
    assert.deepEqual(d.state.edges.c!.rotations, [NOW]);
    assert.equal(d.state.edges.c!.changed, NOW);
    assert.deepEqual(d.state.rotations, [NOW]);
    assert.deepEqual(d.state.substitutions, [NOW]);
    assert.equal(d.substitutions, 1);
    assert.equal(d.state.lastRun, NOW);
  });

  test("no rotation is recorded when the live set is unchanged", () => {
    const d = decide(input({ name: "", edges: ["a", "b"], lastLive: ["a", "b"], obs: { a: ok(0.1), b: ok(0.1) }, expectLive: [] }));
    assert.deepEqual(d.state.rotations, []);
    assert.deepEqual(d.state.substitutions, []);
  });

  test("verification failures are the edges that served the wrong object", () => {
    const d = decide(input({ name: "", edges: ["a", "b"], obs: { a: ok(0.1), b: { seconds: FAIL, outcome: "checksum" } }, expectLive: [] }));
    assert.deepEqual(d.state.verificationFailures, ["b"]);
    assert.equal(d.verdicts.get("b")!.judgement, "fail");
  });

  test("old substitutions fall out of the 10-minute window", () => {
    const d = decide(input({ name: "", edges: ["a"], n: 1, lastLive: ["a"], substitutions: [NOW - 601, NOW - 599], obs: { a: ok(0.1) }, expectLive: [] }));
    assert.deepEqual(d.state.substitutions, [NOW - 599]);
  });

  test("edges that left the list are forgotten after a week without samples, kept before", () => {
    const stale = { ...emptyEdge(), samples: seriesOf([[NOW - 8 * 86400, 0.1]]) };
    const recent = { ...emptyEdge(), samples: seriesOf([[NOW - 86400, 0.1]]) };
    const d = decide(input({ name: "", edges: ["a"], n: 1, records: { stale, recent }, obs: { a: ok(0.1) }, expectLive: [] }));
    assert.deepEqual(Object.keys(d.state.edges).sort(), ["a", "recent"]);
  });

  test("the input state is not modified", () => {
    const i = input({ name: "", edges: ["a", "b"], lastLive: ["a"], records: { a: edge([0.1]) }, obs: { a: ok(0.1), b: ok(0.1) }, expectLive: [] });
    const before = structuredClone(i.previous);
    decide(i);
    assert.deepEqual(i.previous, before);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type DecideSettings, type Decision, decide } from "../src/core/decide.js";
import { DEFAULT_LIMITS } from "../src/core/history.js";
import type { Observation } from "../src/core/observation.js";
import { emptyState } from "../src/core/state.js";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";
import { checkZone, runCli } from "./support/tools.js";

/** Integration tests over several runs: the guard, rise, fall, flap damping and dns.ttl, as the real CLI applies them. */

describe("mass-failure guard over several runs", () => {
  const [a, b, c, d, control] = loopbackAddresses(5, 1600) as [string, string, string, string, string];
  const edges = [a, b, c, d];
  let sim: EdgeSim;
  let fx: Fixture;
  before(async () => {
    sim = await EdgeSim.start({ addresses: [...edges, control], body: TEST_OBJECT });
    fx = new Fixture({ edges, port: sim.port });
  });
  after(async () => {
    await sim.close();
    fx.cleanup();
  });

  test("every edge failing at once, no controls: frozen (zones, live set and histories untouched), then let go after max_frozen_runs", async () => {
    fx.writeConfig({ guard: { max_frozen_runs: 2 } });
    assert.equal((await fx.run()).code, 0);
    const zone = fx.zone();
    const live = fx.liveList();
    const samples = fx.state().edges[a]!.samples.t.length;
    for (const e of edges) await sim.set(e, { kind: "refuse" });
    try {
      for (const run of [1, 2]) {
        const r = await fx.run();
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`guard: mass failure suspected: 4 of the 4 edges that passed in the last good run fail now .*\\(suspect run ${run} of at most 2 frozen\\)`));
        assert.equal(fx.zone(), zone, "zones untouched");
        assert.deepEqual(fx.liveList(), live);
        assert.equal(fx.state().edges[a]!.samples.t.length, samples, "no sample recorded in a frozen run");
        assert.equal(fx.state().guard.suspectRuns, run);
      }
      const plan = await runCli(["-A", fx.dnet, "-c", fx.configPath, "-n"]);
      assert.match(plan.stdout, /^guard: RELEASED \(suspect runs in a row: 3\)$/m);
      const released = await fx.run();
      assert.match(released.stdout, /2 suspect runs in a row already \(max_frozen_runs 2\): letting go, the normal rules apply/);
      assert.equal(fx.state().edges[a]!.samples.t.length, samples + 1, "samples recorded again");
      assert.match(released.stdout, /kept 2 previously live edge\(s\) that are failing/, "the normal rules: the classic all-down fallback");
    } finally {
      for (const e of edges) await sim.set(e, { kind: "ok" });
    }
    const back = await fx.run();
    assert.doesNotMatch(back.stdout, /guard:/);
    assert.equal(fx.state().guard.suspectRuns, 0);
  });

  test("half the edges failing while a control answers: the edges really fail, and are replaced at once", async () => {
    fx.writeConfig({ guard: { control: [`http://${control}:${sim.port}/health`] } });
    assert.equal((await fx.run()).code, 0);
    const live = fx.liveList()!;
    for (const e of live) await sim.set(e, { kind: "refuse" });
    try {
      const r = await fx.run();
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /"msg":"guard control http:\/\/[\d.]+:\d+\/health: answers \(HTTP 200\)"/);
      assert.match(r.stdout, /but 1 of 1 controls answer: the edges really fail; the normal rules apply/);
      assert.deepEqual(fx.liveList(), edges.filter((e) => !live.includes(e)).sort());
    } finally {
      for (const e of live) await sim.set(e, { kind: "ok" });
    }
  });

  test("the same failure while the control fails too: frozen", async () => {
    assert.equal((await fx.run()).code, 0);
    const zone = fx.zone();
    const live = fx.liveList()!;
    for (const e of [...live, control]) await sim.set(e, { kind: "refuse" });
    try {
      const r = await fx.run();
      assert.match(r.stdout, /guard: mass failure suspected: 2 of the 4 edges .*, and every control \(1\) fails/);
      assert.equal(fx.zone(), zone);
    } finally {
      for (const e of [...live, control]) await sim.set(e, { kind: "ok" });
      fx.writeConfig({});
    }
  });
});

/** Consecutive runs through the pure core, a minute apart: each run's observations → the live set after it. */
function decideRuns(edges: string[], settings: Partial<DecideSettings>, perRun: ((run: number) => Record<string, Observation>)[] | ((run: number) => Record<string, Observation>), count: number): { lives: string[][]; last: Decision } {
  let previous = emptyState("net");
  const lives: string[][] = [];
  let last: Decision | undefined;
  for (let run = 0; run < count; run++) {
    const obs = typeof perRun === "function" ? perRun(run) : perRun[run]!(run);
    last = decide({
      now: 1_800_000_000 + 60 * run,
      edges,
      canaries: new Map(),
      observations: new Map(Object.entries(obs)),
      previous,
      settings: { edgeCount: 2, goodenough: 0.3, failValue: 2, maxChangesPer10Min: 10, canaryKiller: 3, limits: DEFAULT_LIMITS, guard: { maxFailingFraction: 1, maxFrozenRuns: 5 }, ...settings },
    });
    previous = last.state;
    lives.push([...last.live].sort());
  }
  return { lives, last: last! };
}
const up = (seconds = 0.01): Observation => ({ seconds, outcome: "ok" });
const refused: Observation = { seconds: 2, outcome: "refused" };

describe("rise, fall and flap damping over several runs (the pure core, run after run)", () => {
  // flaky: down on even runs, up on odd ones (it has failed before it first answers).
  const alternating = (fast: number) => (run: number) => ({ flaky: run % 2 === 0 ? refused : up(fast), steady: up(0.05), dead: refused, slow: up(0.2) });
  const cases: { name: string; edges: string[]; settings: Partial<DecideSettings>; runs: number; perRun: (run: number) => Record<string, Observation>; check: (lives: string[][]) => boolean }[] = [
    { name: "an edge failing every other run joins with the defaults", edges: ["steady", "dead", "flaky"], settings: {}, runs: 7, perRun: alternating(0.01), check: (l) => l.some((x) => x.includes("flaky")) },
    { name: "… and never with rise: 2", edges: ["steady", "dead", "flaky"], settings: { rise: 2 }, runs: 7, perRun: alternating(0.01), check: (l) => !l.some((x) => x.includes("flaky")) },
    { name: "fall: 3 keeps a live edge through two failed runs and drops it at the third", edges: ["fast", "steady", "slow"], settings: { fall: 3 }, runs: 4, perRun: (r) => ({ fast: r === 0 ? up(0.01) : refused, steady: up(0.05), slow: up(0.15) }), check: (l) => [0, 1, 2].every((i) => l[i]!.includes("fast")) && l[3]!.join() === "slow,steady" },
    { name: "fall: 1 (default) drops it at the first failure", edges: ["fast", "steady", "slow"], settings: {}, runs: 2, perRun: (r) => ({ fast: r === 0 ? up(0.01) : refused, steady: up(0.05), slow: up(0.15) }), check: (l) => l[1]!.join() === "slow,steady" },
    { name: "without flap damping, a fast edge that keeps coming back takes the one place again", edges: ["flaky", "slow"], settings: { edgeCount: 1 }, runs: 9, perRun: (r) => ({ flaky: r % 2 === 1 ? refused : up(0.01), slow: up(0.4) }), check: (l) => l[0]!.includes("flaky") && l[8]!.includes("flaky") },
    { name: "with flap_window 3600 and flap_limit 2, it is filled after the steady slow one", edges: ["flaky", "slow"], settings: { edgeCount: 1, flapWindow: 3600, flapLimit: 2 }, runs: 9, perRun: (r) => ({ flaky: r % 2 === 1 ? refused : up(0.01), slow: up(0.4) }), check: (l) => l[0]!.includes("flaky") && !l[8]!.includes("flaky") },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { lives } = decideRuns(c.edges, c.settings, c.perRun, c.runs);
      assert.ok(c.check(lives), JSON.stringify(lives));
    });
  }
  test("the guard over runs: frozen for max_frozen_runs, then the normal rules", () => {
    const all = (o: Observation) => () => ({ a: o, b: o, c: o, d: o });
    const { lives, last } = decideRuns(["a", "b", "c", "d"], { guard: { maxFailingFraction: 0.5, maxFrozenRuns: 2 } }, [all(up()), all(refused), all(refused), all(refused)], 4);
    assert.deepEqual(lives.slice(0, 3), [lives[0], lives[0], lives[0]], "frozen twice: the live set as it was");
    assert.equal(last.guard.status, "released");
  });
});

describe("rise, fall and flap damping in real runs (one smoke test each)", () => {
  const [flaky, steady, dead, fast, slow] = loopbackAddresses(5, 1700) as [string, string, string, string, string];
  let sim: EdgeSim;
  before(async () => {
    sim = await EdgeSim.start({ addresses: [flaky, steady, fast, slow], body: TEST_OBJECT });
  });
  after(() => sim.close());

  test("rise: 2 — a recovered edge waits one more run, and the log says so", async () => {
    const fx = new Fixture({ edges: [steady, dead, flaky], port: sim.port });
    fx.writeConfig({ rise: 2, guard: { max_failing_fraction: 1 } });
    try {
      await sim.set(flaky, { kind: "refuse" });
      assert.equal((await fx.run()).code, 0);
      await sim.set(flaky, { kind: "ok" });
      // -v: the reasons edges are not published are debug lines.
      const r = await fx.run("-v");
      assert.match(r.stdout, /rise: passed 1 of the 2 runs in a row it needs after failing/);
      assert.ok(!fx.liveList()!.includes(flaky));
      await fx.run();
      assert.ok(fx.liveList()!.includes(flaky));
    } finally {
      fx.cleanup();
    }
  });

  test("fall: 3 keeps a live edge through two failed runs and drops it at the third", async () => {
    const fx = new Fixture({ edges: [fast, steady, slow], port: sim.port });
    fx.writeConfig({ fall: 3, edge_count: 2, guard: { max_failing_fraction: 1 } });
    await sim.set(slow, { kind: "ok", delayMs: 150 });
    try {
      assert.equal((await fx.run()).code, 0);
      assert.deepEqual(fx.liveList(), [fast, steady].sort());
      await sim.set(fast, { kind: "refuse" });
      for (const n of [1, 2]) {
        const r = await fx.run();
        assert.match(r.stdout, new RegExp(`edge ${fast.replaceAll(".", "\\.")} stays published: fall: failed ${n} run\\(s\\) in a row, dropped after 3`));
        assert.ok(fx.liveList()!.includes(fast));
      }
      const r = await fx.run();
      assert.match(r.stdout, new RegExp(`edge ${fast.replaceAll(".", "\\.")} dropped: fall: failed 3 runs in a row \\(fall 3\\)`));
      assert.deepEqual(fx.liveList(), [steady, slow].sort());
    } finally {
      await sim.set(fast, { kind: "ok" });
      fx.cleanup();
    }
  });

  test("flap damping: an edge back after failing more than flap_limit times is filled last, with the reason", async () => {
    // Slower than goodenough (0.3 s): it holds the place only while nothing better is steady.
    await sim.set(slow, { kind: "ok", delayMs: 400 });
    const fx = new Fixture({ edges: [flaky, slow], port: sim.port });
    fx.writeConfig({ edge_count: 1, flap_window: 3600, flap_limit: 1, guard: { max_failing_fraction: 1 } });
    try {
      const lives: string[][] = [];
      let out = "";
      for (const kind of ["ok", "refuse", "ok", "refuse", "ok", "refuse", "ok"] as const) {
        await sim.set(flaky, { kind });
        const r = await fx.run("-v");
        assert.equal(r.code, 0, r.stderr);
        out = r.stdout;
        lives.push(fx.liveList() ?? []);
      }
      assert.deepEqual(lives[0], [flaky]);
      assert.deepEqual(lives[2], [flaky], "back once: not damped yet");
      assert.deepEqual(lives[6], [slow], JSON.stringify(lives));
      assert.match(out, /not published: flapping: rejoined 2 times after failing in 3600s \(flap_limit 1\); steadier edges fill first/);
    } finally {
      await sim.set(flaky, { kind: "ok" });
      fx.cleanup();
    }
  });
});

describe("dns.ttl in a real run", () => {
  test("the zone carries the TTL and bind accepts it", async () => {
    const [e] = loopbackAddresses(1, 1800) as [string];
    const sim = await EdgeSim.start({ addresses: [e], body: TEST_OBJECT });
    const fx = new Fixture({ edges: [e], port: sim.port });
    try {
      fx.writeConfig({ edge_count: 1, dns: { ns_records: ["ns1.example.net."], soa_nameserver: "ns1.example.net.", soa_mailbox: "hostmaster.example.net.", ttl: 60 } });
      assert.equal((await fx.run()).code, 0);
      assert.match(fx.zone() ?? "", /^; managed by edgemanage network=testnet\n\$TTL 60\n@\t60\tIN\tSOA\t/);
      assert.equal((await checkZone("example.com", fx.path("named", "example.com.zone"))).code, 0);
    } finally {
      await sim.close();
      fx.cleanup();
    }
  });
});

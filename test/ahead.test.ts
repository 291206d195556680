import assert from "node:assert/strict";
import { after, before, describe, mock, test } from "node:test";
import { isDeepStrictEqual } from "node:util";
import { probeAll } from "../src/probe/fleet.js";
import { type ProbeSettings, timedOut } from "../src/probe/probe.js";
import { QuietWatch } from "../src/probe/quiet.js";
import { Ahead } from "../src/run/ahead.js";
import type { Observation } from "../src/core/observation.js";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";

describe("a plan made ahead (pure)", () => {
  const key = (late: string) => ({ byAddress: new Map([["192.0.2.1", { outcome: late }]]), current: { zone: "a" } });

  test("taken when the final inputs equal those it was made from (compared by value, not identity)", async () => {
    const ahead = new Ahead(async (k: ReturnType<typeof key>) => `plan from ${k.byAddress.get("192.0.2.1")!.outcome}`);
    ahead.start(Promise.resolve(key("timeout")));
    assert.deepEqual(await ahead.take(key("timeout")), { result: "plan from timeout", outcome: "taken" });
  });
  const cases: [string, (a: Ahead<ReturnType<typeof key>, string>) => void, ReturnType<typeof key>, string][] = [
    ["none: never started", () => {}, key("timeout"), "none"],
    ["stale: a probe ended otherwise than counted", (a) => a.start(Promise.resolve(key("timeout"))), key("ok"), "stale"],
    ["stale: a file changed on disk meanwhile", (a) => a.start(Promise.resolve(key("timeout"))), { ...key("timeout"), current: { zone: "b" } }, "stale"],
    ["failed: its inputs could not be read", (a) => a.start(Promise.reject(new Error("no bucket"))), key("timeout"), "failed"],
    ["the latest start counts", (a) => (a.start(Promise.resolve(key("ok"))), a.start(Promise.resolve(key("timeout")))), key("timeout"), "taken"],
  ];
  for (const [name, setup, final, outcome] of cases) {
    test(name, async () => {
      const ahead = new Ahead(async (k: ReturnType<typeof key>) => `plan from ${k.byAddress.get("192.0.2.1")!.outcome}`);
      setup(ahead);
      const got = await ahead.take(final);
      assert.equal(got.outcome, outcome);
      assert.equal(got.result === null, outcome !== "taken");
    });
  }
  test("compared by what was read: what is computed from it is not compared again", async () => {
    const input = (read: string, derived: string) => ({ read, derived });
    const ahead = new Ahead(async (k: ReturnType<typeof input>) => `plan from ${k.read}`, (k) => k.read);
    ahead.start(Promise.resolve(input("timeout", "x")));
    assert.deepEqual(await ahead.take(input("timeout", "y")), { result: "plan from timeout", outcome: "taken" });
    ahead.start(Promise.resolve(input("timeout", "x")));
    assert.equal((await ahead.take(input("ok", "x"))).outcome, "stale");
  });
  test("failed: computing it threw (planning again meets the error where it is reported)", async () => {
    const ahead = new Ahead<ReturnType<typeof key>, string>(async () => Promise.reject(new Error("signer gone")));
    ahead.start(Promise.resolve(key("timeout")));
    assert.deepEqual(await ahead.take(key("timeout")), { result: null, outcome: "failed" });
  });
  test("a stale one still being computed is not waited for", async () => {
    const ahead = new Ahead<ReturnType<typeof key>, string>(() => new Promise<string>(() => {}));
    ahead.start(Promise.resolve(key("timeout")));
    assert.equal((await ahead.take(key("ok"))).outcome, "stale");
  });
});

describe("when probing goes quiet (QuietWatch, on a mocked clock)", () => {
  // Each step: advance the clock by ms, a probe ending or not; the reports expected so far.
  type Step = [ms: number, ended: boolean, told: number];
  const cases: [string, Step[]][] = [
    ["told once no probe has ended for the quiet spell", [[100, false, 0], [149, false, 0], [1, false, 1], [1000, false, 1]]],
    ["every ending starts the spell again", [[200, true, 0], [200, true, 0], [249, false, 0], [1, false, 1]]],
    ["told again after a later spell, if a probe ended meanwhile", [[250, false, 1], [100, true, 1], [250, false, 2], [300, false, 2]]],
    ["at most `times` times", [[250, false, 1], [10, true, 1], [250, false, 2], [10, true, 2], [250, false, 2]]],
  ];
  for (const [name, steps] of cases) {
    test(name, () => {
      mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
      try {
        let told = 0;
        const watch = new QuietWatch(() => told++, 250, 2, () => Date.now());
        // The clock at 0 when created; the starts took 100 ms of it in the first case.
        watch.start();
        for (const [ms, ended, expected] of steps) {
          mock.timers.tick(ms);
          if (ended) watch.ended();
          assert.equal(told, expected, `after ${ms} ms${ended ? " and an ending" : ""}`);
        }
        watch.stop();
        mock.timers.tick(10_000);
        assert.ok(told <= 2);
      } finally {
        mock.timers.reset();
      }
    });
  }
});

describe("probing tells what it has once quiet (real loopback edges)", () => {
  const [fast, silent, late] = loopbackAddresses(3, 3500) as [string, string, string];
  let sim: EdgeSim;
  const settings = (): ProbeSettings => ({ proto: "http", host: "object.example.org", port: sim.port, uri: "/edgemanage.object", verify: true, maxBytes: 1 << 20, timeout: 1.5, retry: 0, userAgent: "edgemanage-test/1", testObject: TEST_OBJECT, concurrency: 100 });
  before(async () => {
    sim = await EdgeSim.start({ addresses: [fast, silent, late], body: TEST_OBJECT });
    await sim.set(silent, { kind: "hang" });
    await sim.set(late, { kind: "ok", delayMs: 700 });
  });
  after(() => sim.close());

  test("an open probe is counted as the timeout it becomes: a silent edge's real result is exactly that", async () => {
    const told: Map<string, Observation>[] = [];
    const s = settings();
    const targets = [silent, fast, late].map((address) => ({ address, kind: "edge" as const }));
    const final = await probeAll(targets, s, { deadline: new AbortController().signal, canaryKiller: 5, quietMs: 150, onQuiet: (p) => told.push(p) });
    // Quiet after the fast answer (late still open) and again after the late one; on a loaded machine
    // also once before the fast answer: each time, a probe still open is counted as its timeout.
    assert.ok(told.length >= 2 && told.length <= 3, `told ${told.length} times`);
    for (const p of told) for (const [address, o] of p) assert.ok(isDeepStrictEqual(o, final.get(address)) || isDeepStrictEqual(o, timedOut(s)), `${address}: ${JSON.stringify(o)}`);
    assert.ok(told.some((p) => isDeepStrictEqual(p.get(late), timedOut(s))), "told once while the late edge was still open");
    assert.equal(final.get(late)!.outcome, "ok");
    assert.deepEqual(told.at(-1), final, "the last time, every open probe (the silent edge) ended as counted");
    assert.deepEqual([...final.keys()], [silent, fast, late], "results in the targets' order");
  });
});

describe("a run plans ahead while its last probes time out", () => {
  const [a, b, silent, late] = loopbackAddresses(4, 3510) as [string, string, string, string];
  let sim: EdgeSim;
  before(async () => {
    sim = await EdgeSim.start({ addresses: [a, b, silent, late], body: TEST_OBJECT });
    await sim.set(silent, { kind: "hang" });
  });
  after(() => sim.close());

  test("a silent edge: the plan made ahead is the plan", async () => {
    const fx = new Fixture({ edges: [a, b, silent], port: sim.port });
    try {
      fx.writeConfig({ timeout: 1.5, goodenough: 0.5 });
      const r = await fx.run("-v");
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /the plan made ahead is the plan/);
      assert.deepEqual(fx.apexAddresses(), [a, b].sort());
      assert.equal(fx.state().edges[silent]!.samples.v.at(-1), 1.5, "the silent edge recorded as a failure");
    } finally {
      fx.cleanup();
    }
  });
  test("an edge that answers after the plan was made ahead: planned again from what came", async () => {
    await sim.set(late, { kind: "ok", delayMs: 1300 });
    const fx = new Fixture({ edges: [a, silent, late], port: sim.port });
    try {
      fx.writeConfig({ timeout: 1.5, goodenough: 0.5, edge_count: 2 });
      const r = await fx.run("-v");
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /planned again: probes ended otherwise than counted/);
      const seconds = fx.state().edges[late]!.samples.v.at(-1)!;
      assert.ok(seconds >= 1.3 && seconds < 1.5, `the late edge's real time (${seconds} s), not the timeout counted ahead`);
      assert.deepEqual(fx.apexAddresses(), [a, late].sort(), "published: it passed, however slowly");
    } finally {
      fx.cleanup();
    }
  });
});

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
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

describe("rise, fall and flap damping over several runs", () => {
  const [flaky, steady, dead, fast, slow] = loopbackAddresses(5, 1700) as [string, string, string, string, string];
  let sim: EdgeSim;
  beforeEachSim();
  function beforeEachSim() {
    before(async () => {
      sim = await EdgeSim.start({ addresses: [flaky, steady, fast, slow], body: TEST_OBJECT });
    });
    after(() => sim.close());
  }

  /** Runs `runs` times; `flaky` answers on even runs and refuses on odd ones. Returns the live lists. */
  async function alternate(fx: Fixture, edge: string, runs: number): Promise<string[][]> {
    const lives: string[][] = [];
    for (let i = 0; i < runs; i++) {
      await sim.set(edge, i % 2 === 0 ? { kind: "ok" } : { kind: "refuse" });
      const r = await fx.run();
      assert.equal(r.code, 0, r.stderr);
      lives.push(fx.liveList() ?? []);
    }
    await sim.set(edge, { kind: "ok" });
    return lives;
  }

  test("an edge that fails every other run: joins with the defaults, never with rise: 2", async () => {
    for (const [config, joins] of [
      [{}, true],
      [{ rise: 2 }, false],
    ] as const) {
      const fx = new Fixture({ edges: [steady, dead, flaky], port: sim.port });
      fx.writeConfig({ ...config, guard: { max_failing_fraction: 1 } });
      try {
        // A first run with the flaky edge down, so that it has failed before.
        await sim.set(flaky, { kind: "refuse" });
        assert.equal((await fx.run()).code, 0);
        const lives = await alternate(fx, flaky, 6);
        assert.equal(lives.some((l) => l.includes(flaky)), joins, `${JSON.stringify(config)}: ${JSON.stringify(lives)}`);
      } finally {
        fx.cleanup();
      }
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

  test("flap damping: a fast edge that keeps coming back is filled after the steady slow one", async () => {
    await sim.set(slow, { kind: "ok", delayMs: 400 });
    for (const [config, rejoinsLate] of [
      [{}, true],
      [{ flap_window: 3600, flap_limit: 2 }, false],
    ] as const) {
      const fx = new Fixture({ edges: [flaky, slow], port: sim.port });
      fx.writeConfig({ ...config, edge_count: 1, guard: { max_failing_fraction: 1 } });
      try {
        const lives = await alternate(fx, flaky, 9);
        // Runs 0, 2, 4 …: the flaky edge is up and, being fastest, would take the one place.
        assert.ok(lives[0]!.includes(flaky));
        assert.equal(lives[8]!.includes(flaky), rejoinsLate, `${JSON.stringify(config)}: ${JSON.stringify(lives)}`);
      } finally {
        fx.cleanup();
      }
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

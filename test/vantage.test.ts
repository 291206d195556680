import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";
import { PreconditionLayer, S3_ENV } from "./support/s3.js";
import { type Ran, runCli } from "./support/tools.js";

/**
 * Three vantages = three CLI processes with their own configurations and zone folders, one s3rver
 * behind the precondition layer, loopback edges. Each vantage probes from its own source address, and
 * the edge simulator can fail an edge for one source only: a vantage's own view of the network.
 */
// The production interval: the vantages' clocks are set (EDGEMANAGE_NOW), so no test waits for it.
const INTERVAL = 60;
const NAMES = ["a", "b", "c"] as const;
type Name = (typeof NAMES)[number];
const SOURCE: Record<Name, string> = { a: "127.0.60.1", b: "127.0.60.2", c: "127.0.60.3" };

/** The vantages' clock: each round starts a new interval; each run within it a second later. */
let clock = Math.floor(Date.now() / 1000 / INTERVAL) * INTERVAL;
function nextInterval(): void {
  clock = (Math.floor(clock / INTERVAL) + 1) * INTERVAL;
}

describe("several vantage points, one decision", { timeout: 300_000 }, () => {
  const edges = loopbackAddresses(4, 1900);
  const [e1, e2, e3, e4] = edges as [string, string, string, string];
  let sim: EdgeSim;
  let s3: PreconditionLayer;
  const fx = {} as Record<Name, Fixture>;
  const run = (v: Name, ...args: string[]): Promise<Ran> => runCli(["-A", "testnet", "-c", fx[v].configPath, ...args], { ...S3_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint, EDGEMANAGE_NOW: String(++clock) });
  /** The vantages, one after the other, within one interval. */
  async function round(...order: Name[]): Promise<Record<Name, Ran>> {
    nextInterval();
    const out = {} as Record<Name, Ran>;
    for (const v of order) {
      out[v] = await run(v);
      assert.equal(out[v].code, 0, `${v}: ${out[v].stdout}${out[v].stderr}`);
    }
    return out;
  }
  const zoneDir = (v: Name) => Object.fromEntries(readdirSync(fx[v].path("named")).sort().map((f) => [f, readFileSync(fx[v].path("named", f), "utf8")]));
  const assertSameZones = (...vs: Name[]) => {
    for (const v of vs.slice(1)) assert.deepEqual(zoneDir(v), zoneDir(vs[0]!), `${v}'s zones are byte-identical to ${vs[0]}'s`);
  };

  before(async () => {
    sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
    for (const [e, d] of [[e1, 0], [e2, 20], [e3, 60], [e4, 100]] as const) await sim.set(e, { kind: "ok", delayMs: d });
    s3 = await PreconditionLayer.start(["multi"]);
    for (const v of NAMES) {
      fx[v] = new Fixture({ edges, port: sim.port });
      fx[v].writeConfig({
        state: { backend: "s3", bucket: "multi", force_path_style: true },
        // A vantage that sat out two rounds is stale.
        vantage: { name: v, peers: [...NAMES], interval: INTERVAL, stale_after: INTERVAL + 2 },
        probe: { source_address: SOURCE[v] },
        live_list: "state/{dnet}.live",
        // Hooks run in every mode: the decider's and the adopters' runs alike.
        commands: { run_after: [`touch ${join(fx[v].dir, "ran-after")}`], run_after_changes: null, run_before: null },
      });
    }
  });
  after(async () => {
    await sim.close();
    await s3.stop();
    for (const v of NAMES) fx[v].cleanup();
  });

  test("a round: the first vantage decides, the others adopt; three byte-identical zone folders", async () => {
    const from = s3.requests.length;
    const r = await round("a", "b", "c");
    assert.match(r.a.stdout, /"msg":"state saved: this vantage's decision is this interval's"/);
    for (const v of ["b", "c"] as const) assert.match(r[v].stdout, /this interval's decision was made by vantage a: adopting it/);
    assertSameZones("a", "b", "c");
    assert.deepEqual(fx.b.liveList(), [e1, e2].sort());
    for (const v of NAMES) assert.ok(existsSync(fx[v].path("ran-after")), `run_after ran for vantage ${v}`);
    // S3 requests: the decider GETs the state, PUTs its observations, GETs the two others', and makes the
    // conditional PUT framed by two HEADs; an adopter makes no state PUT.
    const reqs = s3.requests.slice(from).map((q) => `${q.method} ${q.path.replace("/multi/edgemanage/", "")}`);
    assert.deepEqual(reqs.slice(0, 7).sort(), ["GET testnet.state.json.gz", "PUT testnet/observations/a.json.gz", "GET testnet/observations/b.json.gz", "GET testnet/observations/c.json.gz", "HEAD testnet.state.json.gz", "PUT testnet.state.json.gz", "HEAD testnet.state.json.gz"].sort());
    assert.equal(reqs.filter((q) => q === "PUT testnet.state.json.gz").length, 1, reqs.join("\n"));
  });

  test("one vantage sees an edge fail: it is outvoted and the edge stays", async () => {
    sim.setFrom(SOURCE.a, e1, { kind: "refuse" });
    const r = await round("a", "b", "c");
    assert.match(r.a.stdout, new RegExp(`vantages disagree on ${e1.replaceAll(".", "\\.")}: a fail \\(error\\), b 0\\.\\d{3}s, c 0\\.\\d{3}s -> 0\\.\\d{3}s`));
    for (const v of NAMES) assert.ok(fx[v].liveList()!.includes(e1), v);
    assertSameZones("a", "b", "c");
    const plan = await run("b", "-n");
    assert.match(plan.stdout, /^vantages: 3 of 3 fresh \(b, a, c\), quorum 2$/m);
    assert.match(plan.stdout, /^decision: this interval's, made by vantage a: adopted/m);
  });

  test("two vantages see it fail: it is drained everywhere", async () => {
    sim.setFrom(SOURCE.b, e1, { kind: "refuse" });
    await round("a", "b", "c");
    // The decider of the next round has b's observation of the failure too.
    await round("a", "b", "c");
    for (const v of NAMES) assert.ok(!fx[v].liveList()!.includes(e1), `${v}: ${fx[v].liveList()}`);
    assertSameZones("a", "b", "c");
    sim.setFrom(SOURCE.a, e1, null);
    sim.setFrom(SOURCE.b, e1, null);
  });

  test("a vantage that sees everything fail (its own network broken) changes nothing, even deciding", async () => {
    await round("a", "b", "c");
    const live = fx.a.liveList();
    const zones = zoneDir("a");
    for (const e of edges) sim.setFrom(SOURCE.c, e, { kind: "refuse" });
    try {
      const r = await round("c", "a", "b");
      assert.match(r.c.stdout, /"msg":"state saved: this vantage's decision is this interval's"/);
      assert.deepEqual(fx.c.liveList(), live);
      assert.deepEqual(zoneDir("a"), zones);
      assertSameZones("c", "a", "b");
    } finally {
      for (const e of edges) sim.setFrom(SOURCE.c, e, null);
    }
  });

  test("one vantage stopped: the others go on deciding, with a warning; alone, a vantage decides by itself", async () => {
    await round("a", "b");
    const r = await round("a", "b");
    assert.match(r.a.stdout, new RegExp(`"msg":"vantage c is stale \\(observations \\d+s old \\(stale_after ${INTERVAL + 2}s\\)\\): ignored"`));
    assert.match(r.a.stdout, /"msg":"state saved: this vantage's decision is this interval's"/);
    assertSameZones("a", "b");
    await round("a");
    const alone = await round("a");
    assert.match(alone.a.stdout, /only 1 of 3 vantages are fresh \(quorum 2\): deciding from those present/);
    assert.match(alone.a.stdout, /"msg":"state saved: this vantage's decision is this interval's"/);
  });

  test("the stopped vantage, restarted, adopts the current decision", async () => {
    const r = await round("a", "c");
    assert.match(r.c.stdout, /this interval's decision was made by vantage a: adopting it/);
    assertSameZones("a", "c");
  });

  for (const [first, second] of [
    ["a", "b"],
    ["b", "a"],
  ] as const) {
    test(`overlapping runs (${second} commits while ${first} is deciding): no decision is lost, one set is published`, async () => {
      nextInterval();
      // When `first` is about to save its decision, `second` runs from start to end and commits first.
      let inner: Ran | null = null;
      s3.beforePutTo(".state.json.gz", async () => {
        inner = await run(second);
      });
      const outer = await run(first);
      assert.equal(outer.code, 0, outer.stdout + outer.stderr);
      assert.equal(inner!.code, 0);
      assert.match(inner!.stdout, /"msg":"state saved: this vantage's decision is this interval's"/);
      assert.match(outer.stdout, new RegExp(`another vantage committed this interval's decision first \\(${second}\\): adopting it, saving nothing`));
      assertSameZones(first, second);
    });
  }
});

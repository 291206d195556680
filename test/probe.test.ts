import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { probeOrder } from "../src/core/probe-order.js";
import { type Judgement, emptyEdge, emptyState } from "../src/core/state.js";
import { probeAll } from "../src/probe/fleet.js";
import { ProbeGroup } from "../src/probe/ending.js";
import { type ProbeSettings, md5, probeOne } from "../src/probe/probe.js";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { TEST_OBJECT } from "./support/fixture.js";
import { selfSigned } from "./support/tls.js";

const [fast, slow, refused, hang, err503, wrong, slowBody, big] = loopbackAddresses(8, 100);
let sim: EdgeSim;

function settings(over: Partial<ProbeSettings> = {}): ProbeSettings {
  return {
    proto: "http",
    host: "object.example.org",
    port: sim.port,
    uri: "/edgemanage.object",
    verify: true,
    maxBytes: 1 << 20,
    timeout: 1,
    retry: 2,
    userAgent: "edgemanage-test/1",
    expectedMd5: md5(TEST_OBJECT),
    concurrency: 100,
    ...over,
  };
}

const never = new AbortController().signal;
const group = new ProbeGroup(never);

describe("probe against real loopback edges", () => {
  before(async () => {
    sim = await EdgeSim.start({ addresses: [fast!, slow!, hang!, err503!, wrong!, slowBody!, big!], body: TEST_OBJECT });
    await sim.set(slow!, { kind: "ok", delayMs: 300 });
    await sim.set(hang!, { kind: "hang" });
    await sim.set(err503!, { kind: "status", status: 503 });
    await sim.set(wrong!, { kind: "wrong-body" });
    await sim.set(slowBody!, { kind: "slow-body", delayMs: 400 });
  });
  after(() => sim.close());

  test("a good edge: ok, timed to the last byte, Host, User-Agent and path reach it", async () => {
    const o = await probeOne(fast!, settings(), group);
    assert.equal(o.outcome, "ok");
    assert.ok(o.seconds < 0.3, `${o.seconds}`);
    const seen = sim.requests.filter((r) => r.address === fast).at(-1)!;
    assert.equal(seen.host, "object.example.org");
    assert.equal(seen.userAgent, "edgemanage-test/1");
    assert.equal(seen.path, "/edgemanage.object");
  });
  test("a delayed edge is timed with its delay", async () => {
    const o = await probeOne(slow!, settings(), group);
    assert.equal(o.outcome, "ok");
    assert.ok(o.seconds >= 0.3 && o.seconds < 0.6, `${o.seconds}`);
  });
  test("a slow body counts: time covers the whole object", async () => {
    const o = await probeOne(slowBody!, settings(), group);
    assert.equal(o.outcome, "ok");
    assert.ok(o.seconds >= 0.4, `${o.seconds}`);
  });
  test("refused connections are retried, then recorded as the failure value", async () => {
    const o = await probeOne(refused!, settings({ retry: 2 }), group);
    assert.equal(o.outcome, "refused");
    assert.equal(o.seconds, 1);
    assert.match(o.detail!, /after 3 attempts/);
  });
  test("an edge that never answers times out at the fetch timeout", async () => {
    const t0 = Date.now();
    const o = await probeOne(hang!, settings({ timeout: 0.5 }), group);
    assert.equal(o.outcome, "timeout");
    assert.equal(o.seconds, 0.5);
    assert.ok(Date.now() - t0 < 1500);
  });
  test("an HTTP error status fails", async () => {
    const o = await probeOne(err503!, settings(), group);
    assert.deepEqual([o.outcome, o.seconds, o.detail], ["http_error", 1, "HTTP 503"]);
  });
  test("a wrong body fails the checksum", async () => {
    const o = await probeOne(wrong!, settings(), group);
    assert.equal(o.outcome, "checksum");
    assert.equal(o.seconds, 1);
  });
  test("a body over max_bytes fails without reading it all", async () => {
    const o = await probeOne(big!, settings({ maxBytes: 100 }), group);
    assert.equal(o.outcome, "too_large");
  });
  test("the run deadline ends open probes as failures", async () => {
    const t0 = Date.now();
    const r = await probeAll(
      [{ address: hang!, kind: "edge" }, { address: fast!, kind: "edge" }],
      settings({ timeout: 5 }),
      { deadline: AbortSignal.timeout(400), canaryKiller: 5 },
    );
    assert.ok(Date.now() - t0 < 1500);
    assert.equal(r.get(hang!)!.outcome, "deadline");
    assert.equal(r.get(hang!)!.seconds, 5);
    assert.equal(r.get(fast!)!.outcome, "ok");
  });
  test("canary_killer cancels the pending canary probes", async () => {
    const r = await probeAll(
      [
        { address: fast!, kind: "edge" },
        { address: refused!, kind: "canary" },
        { address: err503!, kind: "canary" },
        { address: hang!, kind: "canary" },
      ],
      settings({ timeout: 3, retry: 0 }),
      { deadline: AbortSignal.timeout(5000), canaryKiller: 2 },
    );
    assert.equal(r.get(fast!)!.outcome, "ok");
    assert.equal(r.get(refused!)!.outcome, "refused");
    assert.equal(r.get(err503!)!.outcome, "http_error");
    assert.equal(r.has(hang!), false, "the hanging canary was cancelled, not recorded");
  });
  test("probes run concurrently, at most `workers` at once", async () => {
    const many = loopbackAddresses(20, 300);
    await sim.setAll(many, { kind: "ok", delayMs: 200 });
    const targets = many.map((address) => ({ address, kind: "edge" as const }));
    for (const [concurrency, expected] of [[20, 20], [4, 4]] as const) {
      sim.maxInFlight = 0;
      const r = await probeAll(targets, settings({ concurrency }), { deadline: never, canaryKiller: 5 });
      assert.ok([...r.values()].every((o) => o.outcome === "ok"));
      assert.equal(sim.maxInFlight, expected);
    }
  });
});

describe("probe over HTTPS", () => {
  let tls: EdgeSim;
  let cert: Awaited<ReturnType<typeof selfSigned>>;
  const [edge] = loopbackAddresses(1, 200);
  before(async () => {
    cert = await selfSigned("object.example.org");
    tls = await EdgeSim.start({ addresses: [edge!], body: TEST_OBJECT, tls: cert });
  });
  after(() => tls.close());

  test("sends SNI = testobject.host; verify=false accepts an untrusted certificate", async () => {
    const s = settings({ proto: "https", port: tls.port, verify: false });
    const o = await probeOne(edge!, s, group);
    assert.equal(o.outcome, "ok");
    assert.equal(tls.requests.at(-1)!.servername, "object.example.org");
  });
  test("verify=true rejects a certificate nobody trusts", async () => {
    const r = await probeAll([{ address: edge!, kind: "edge" }], settings({ proto: "https", port: tls.port, verify: true }), { deadline: never, canaryKiller: 5 });
    assert.equal(r.get(edge!)!.outcome, "tls");
    assert.match(r.get(edge!)!.detail!, /certificate not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
  });
});

describe("the order probes start in (pure)", () => {
  const state = (health: Record<string, Judgement | null>) => ({ ...emptyState("net"), edges: Object.fromEntries(Object.entries(health).map(([e, h]) => [e, { ...emptyEdge(), health: h }])) });
  const cases: [string, string[], Record<string, Judgement | null>, string[]][] = [
    ["no history: as listed", ["a", "b", "c"], {}, ["a", "b", "c"]],
    ["the edges judged failing last run first, each group as listed", ["a", "b", "c", "d"], { a: "pass", b: "fail", c: null, d: "fail" }, ["b", "d", "a", "c"]],
    ["an edge no longer listed is not probed", ["a"], { z: "fail" }, ["a"]],
  ];
  for (const [name, edges, health, expected] of cases) test(name, () => assert.deepEqual(probeOrder(edges, state(health)), expected));
});

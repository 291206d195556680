import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { probeOrder } from "../src/core/probe-order.js";
import { type Judgement, emptyEdge, emptyState } from "../src/core/state.js";
import { probeAll } from "../src/probe/fleet.js";
import { ProbeGroup } from "../src/probe/ending.js";
import { type ProbeSettings, probeOne } from "../src/probe/probe.js";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { TEST_OBJECT } from "./support/fixture.js";
import { type Script, ScriptedEdges } from "./support/scripted-edges.js";
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
    testObject: TEST_OBJECT,
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
  test("an answer that comes while probes are still being started is timed at once and checked afterwards", async () => {
    let open = () => {};
    const allStarted = new Promise<void>((r) => (open = r));
    let done = false;
    const t0 = performance.now();
    const probe = probeOne(fast!, settings(), group, allStarted).then((o) => ((done = true), o));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(done, false, "not checked before every probe has started");
    const heldMs = performance.now() - t0;
    open();
    const o = await probe;
    assert.equal(o.outcome, "ok");
    assert.ok(o.seconds * 1000 < heldMs - 100, `timed when it came (${o.seconds} s), not when it was checked (${heldMs} ms)`);
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
  test("a wrong body fails the checksum, naming both md5s", async () => {
    const o = await probeOne(wrong!, settings(), group);
    assert.equal(o.outcome, "checksum");
    assert.equal(o.seconds, 1);
    const hex = (b: Buffer) => createHash("md5").update(b).digest("hex");
    const body = Buffer.from("this is not the test object\n");
    assert.equal(o.detail, `md5 ${hex(body)} != expected ${hex(TEST_OBJECT)} (${body.length} bytes)`);
  });
  test("a body of the right length with one byte changed fails the checksum", async () => {
    const expected = Buffer.from(TEST_OBJECT);
    expected.writeUInt8(expected.readUInt8(expected.length - 1) ^ 1, expected.length - 1);
    assert.equal((await probeOne(fast!, settings({ testObject: expected }), group)).outcome, "checksum");
    assert.equal((await probeOne(fast!, settings(), group)).outcome, "ok");
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

describe("the wire formats an edge may answer in", () => {
  const [chunks, toClose, cut, notHttp, interim, keptOpen, lengthFirst] = loopbackAddresses(7, 230);
  const body = TEST_OBJECT.toString("latin1");
  const at = (n: number) => [body.slice(0, n), body.slice(n)] as const;
  const scripts = new Map<string, Script>([
    [chunks!, { pieces: [[0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"], [60, `10\r\n${at(16)[0]}\r\n${(body.length - 16).toString(16)}\r\n`], [60, `${at(16)[1]}\r\n0\r\n`], [60, "\r\n"]], close: false }],
    [toClose!, { pieces: [[0, `HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n${at(100)[0]}`], [50, at(100)[1]]], close: true }],
    [cut!, { pieces: [[0, `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${at(100)[0]}`]], close: true }],
    [notHttp!, { pieces: [[0, "SSH-2.0-OpenSSH_9.2\r\n"]], close: true }],
    [interim!, { pieces: [[0, "HTTP/1.1 100 Continue\r\n\r\n"], [20, `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`]], close: true }],
    // Ignores "Connection: close": the answer is complete at its last byte all the same.
    [keptOpen!, { pieces: [[0, `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n${body}`]], close: false }],
    [lengthFirst!, { pieces: [[0, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"]], close: true }],
  ]);
  let edges: ScriptedEdges;
  before(async () => void (edges = await ScriptedEdges.start(scripts)));
  after(() => edges.close());
  const s = (over: Partial<ProbeSettings> = {}) => settings({ port: edges.port, timeout: 2, ...over });

  test("the request: exactly one GET with Host, User-Agent, Accept and Connection: close", async () => {
    assert.equal((await probeOne(lengthFirst!, s(), group)).outcome, "checksum");
    assert.equal(edges.requests.filter((r) => r.address === lengthFirst).at(-1)!.bytes, "GET /edgemanage.object HTTP/1.1\r\nHost: object.example.org\r\nUser-Agent: edgemanage-test/1\r\nAccept: */*\r\nConnection: close\r\n\r\n");
  });
  test("a chunked body in pieces, a chunk split across them: the object, timed to its last chunk", async () => {
    const o = await probeOne(chunks!, s(), group);
    assert.equal(o.outcome, "ok", o.detail);
    assert.ok(o.seconds >= 0.18 && o.seconds < 1, `${o.seconds}`);
  });
  test("a body ended by closing the connection (HTTP/1.0, no length)", async () => {
    const o = await probeOne(toClose!, s(), group);
    assert.equal(o.outcome, "ok", o.detail);
    assert.ok(o.seconds >= 0.05, `${o.seconds}`);
  });
  test("an interim 100 Continue is skipped", async () => assert.equal((await probeOne(interim!, s(), group)).outcome, "ok"));
  test("an edge that keeps the connection open: complete at the body's last byte, not at a timeout", async () => {
    const o = await probeOne(keptOpen!, s(), group);
    assert.equal(o.outcome, "ok", o.detail);
    assert.ok(o.seconds < 0.5, `${o.seconds}`);
  });
  test("a body cut short by the edge fails, after the retries a reset connection gets", async () => {
    const before = edges.requests.filter((r) => r.address === cut).length;
    const o = await probeOne(cut!, s({ retry: 2 }), group);
    assert.deepEqual([o.outcome, o.seconds], ["error", 2]);
    assert.match(o.detail!, /^ECONNRESET aborted: the connection ended inside the body \(after 3 attempts\)$/);
    assert.equal(edges.requests.filter((r) => r.address === cut).length - before, 3);
  });
  test("an answer that is not HTTP fails at once, saying what came", async () => {
    const o = await probeOne(notHttp!, s({ retry: 2 }), group);
    assert.equal(o.outcome, "error");
    assert.equal(o.detail, 'HPE_INVALID_CONSTANT not an HTTP/1.x status line: "SSH-2.0-OpenSSH_9.2"');
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

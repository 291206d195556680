import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { edgeObservations, publishableAddresses } from "../src/core/addresses.js";
import type { Observation } from "../src/core/observation.js";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";
import { CLI, type Ran, requireTool, run } from "./support/tools.js";

const FAIL = 10;
const ok = (seconds: number): Observation => ({ seconds, outcome: "ok" });
const refused: Observation = { seconds: FAIL, outcome: "refused", detail: "ECONNREFUSED" };

describe("addresses of an edge: one observation per edge, published addresses", () => {
  const addressesOf = new Map([
    ["dual.test", ["192.0.2.1", "2001:db8::1"]],
    ["v4.test", ["192.0.2.2"]],
    ["192.0.2.3", ["192.0.2.3"]],
  ]);
  const cases: [string, Record<string, Observation>, Record<string, Partial<Observation>>][] = [
    ["the slowest address is the edge's sample", { "192.0.2.1": ok(0.1), "2001:db8::1": ok(0.3), "192.0.2.2": ok(0.2), "192.0.2.3": ok(0.4) }, { "dual.test": { seconds: 0.3, outcome: "ok", detail: "2001:db8::1 (slowest of 2 addresses)" }, "v4.test": { seconds: 0.2 }, "192.0.2.3": { seconds: 0.4 } }],
    ["one failing address fails the edge, and names the address", { "192.0.2.1": ok(0.1), "2001:db8::1": refused, "192.0.2.2": ok(0.2), "192.0.2.3": ok(0.4) }, { "dual.test": { outcome: "refused", detail: "2001:db8::1: ECONNREFUSED (slowest of 2 addresses)" } }],
  ];
  for (const [name, byAddress, want] of cases) {
    test(name, () => {
      const got = edgeObservations([...addressesOf.keys(), "gone.test"], addressesOf, new Map([["gone.test", "ENOTFOUND"]]), new Map(Object.entries(byAddress)), FAIL);
      for (const [e, w] of Object.entries(want)) assert.deepEqual({ ...got.get(e), ...w }, got.get(e), e);
      assert.deepEqual(got.get("gone.test"), { seconds: FAIL, outcome: "error", detail: "does not resolve: ENOTFOUND" });
    });
  }

  test("a failed address is left out of the records while another remains; a kept edge keeps the addresses it last passed with", () => {
    const by = new Map(Object.entries({ "192.0.2.1": ok(0.1), "2001:db8::1": refused, "192.0.2.2": refused }));
    const lastPublished = new Map([["v4.test", ["192.0.2.42"]]]);
    const r = publishableAddresses(["dual.test", "v4.test", "single.test", "192.0.2.3"], new Map([...addressesOf, ["single.test", ["192.0.2.2"]]]), by, FAIL, (e) => lastPublished.get(e));
    assert.deepEqual(
      [...r.addresses],
      [
        ["dual.test", ["192.0.2.1"]],
        ["v4.test", ["192.0.2.42"]],
        ["192.0.2.3", ["192.0.2.3"]],
      ],
      "v4.test failed and was kept: its last passing address, never the one resolved now; single.test never passed: nothing; a literal is its own address",
    );
    assert.deepEqual(r.leftOut.map((l) => `${l.edge} ${l.address} ${l.reason}`), ["dual.test 2001:db8::1 failed this run (refused: ECONNREFUSED)", "v4.test 192.0.2.2 failed this run (refused: ECONNREFUSED)", "single.test 192.0.2.2 failed this run (refused: ECONNREFUSED)"]);
  });
});

describe("dual-stack edges through a hosts file (a private /etc/hosts in a mount namespace)", () => {
  const [v4, single, literal] = loopbackAddresses(3, 1500) as [string, string, string];
  let sim: EdgeSim;
  let fx: Fixture;
  let hosts: string;
  /** The real CLI, seeing `hosts` as /etc/hosts: names resolve through getaddrinfo, on loopback only. */
  const cli = (...args: string[]): Promise<Ran> =>
    run("unshare", ["--mount", "--propagation", "private", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, process.execPath, CLI, "-A", fx.dnet, "-c", fx.configPath, "--force", ...args]);

  before(async () => {
    requireTool("unshare", "util-linux");
    sim = await EdgeSim.start({ addresses: [v4, "::1", single, literal], body: TEST_OBJECT });
    hosts = join(mkdtempSync(join(tmpdir(), "em-hosts-")), "hosts");
    writeFileSync(hosts, `127.0.0.1 localhost\n${v4} dual.edges.test\n::1 dual.edges.test\n${single} single.edges.test\n`);
    fx = new Fixture({ edges: ["dual.edges.test", "single.edges.test", literal], port: sim.port });
    fx.writeConfig({ edge_count: 2, fall: 2 });
  });
  after(async () => {
    await sim.close();
    fx.cleanup();
  });

  test("every address of a name is probed; its records are A and AAAA; its sample is the slowest address's", async () => {
    await sim.set(v4, { kind: "ok", delayMs: 0 });
    await sim.set("::1", { kind: "ok", delayMs: 150 });
    await sim.set(single, { kind: "ok", delayMs: 50 });
    await sim.set(literal, { kind: "ok", delayMs: 250 });
    const r = await cli();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const seen = sim.requests.map((q) => q.address);
    assert.ok(seen.includes(v4) && seen.includes("::1"), seen.join(" "));
    const zone = fx.zone() ?? "";
    assert.match(zone, new RegExp(`^@\\tIN\\tA\\t${v4.replaceAll(".", "\\.")}$`, "m"));
    assert.match(zone, /^@\tIN\tAAAA\t::1$/m);
    const sample = fx.state().edges["dual.edges.test"]!.samples.v.at(-1)!;
    assert.ok(sample >= 0.15, `the slowest address (::1, 150 ms) is the sample: ${sample}`);
    assert.deepEqual(fx.liveList(), ["dual.edges.test", "single.edges.test"].sort());
  });

  test("an address that fails is left out of the edge's records, with an error; the edge stays (fall 2)", async () => {
    await sim.set("::1", { kind: "refuse" });
    try {
      const r = await cli();
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /"msg":"address ::1 of edge dual\.edges\.test failed this run \(refused: .*\): left out of its records"/);
      const zone = fx.zone() ?? "";
      assert.doesNotMatch(zone, /AAAA/);
      assert.match(zone, new RegExp(`^@\\tIN\\tA\\t${v4.replaceAll(".", "\\.")}$`, "m"));
      assert.deepEqual(fx.liveList(), ["dual.edges.test", "single.edges.test"].sort());
    } finally {
      await sim.set("::1", { kind: "ok" });
    }
  });
});

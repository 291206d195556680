import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { checkPlans, checkerMessage, findOnPath, zoneCheckerFor } from "../src/zone/check.js";
import type { ZonePlan } from "../src/zone/render.js";
import { OperatorError } from "../src/util/errors.js";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";
import { checkZone, requireTool } from "./support/tools.js";

const BAD_INCLUDE = "mail\tIN\tA\t192.0.2.25\nbroken IN A not-an-address\n";

describe("zone_check: the checker", () => {
  test("auto without named-checkzone on PATH checks nothing; always refuses to run", () => {
    assert.equal(zoneCheckerFor("auto", "/etc/edgemanage.yaml", "/nonexistent"), null);
    assert.equal(zoneCheckerFor("never", "/etc/edgemanage.yaml"), null);
    assert.throws(
      () => zoneCheckerFor("always", "/etc/edgemanage.yaml", "/nonexistent"),
      (e: unknown) => e instanceof OperatorError && e.exitCode === 2 && /edgemanage\.yaml: zone_check is 'always' but named-checkzone is not on PATH; install bind9-utils/.test(e.message),
    );
  });

  test("the checker's message names the problem, not the temp file", () => {
    const out = "/tmp/x/a.zone:12: not-an-address: bad dotted quad\nzone example.com/IN: loading from master file /tmp/x/a.zone failed: bad dotted quad\nzone example.com/IN: not loaded due to errors.\n";
    assert.equal(checkerMessage(out, "/tmp/x/a.zone"), "<zone>:12: not-an-address: bad dotted quad; zone example.com/IN: loading from master file <zone> failed: bad dotted quad");
  });

  test("the real named-checkzone accepts a good zone and quotes its objection to a bad one", async () => {
    requireTool("named-checkzone", "bind9-utils");
    assert.ok(findOnPath("named-checkzone"));
    const checker = zoneCheckerFor("always", "edgemanage.yaml")!;
    const head = "$TTL 300\n@ IN SOA ns1.example.net. hostmaster.example.net. 1 3600 600 86400 300\n@ IN NS ns1.example.net.\n";
    assert.deepEqual(await checker.check("example.com", `${head}@ IN A 192.0.2.1\n`), { ok: true });
    const bad = await checker.check("example.com", `${head}broken IN A not-an-address\n`);
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? "" : bad.message, /<zone>:4: near .not-an-address.: bad dotted quad/);
  });

  test("many zones are checked a core at a time: each keeps its own verdict, in the plan's order", async () => {
    const checker = zoneCheckerFor("always", "edgemanage.yaml")!;
    const head = "$TTL 300\n@ IN SOA ns1.example.net. hostmaster.example.net. 1 3600 600 86400 300\n@ IN NS ns1.example.net.\n";
    const plan = (i: number, write = true) => ({ domain: `z${i}.example.com`, write, text: `${head}@ IN A ${i % 3 === 1 ? "not-an-address" : `192.0.2.${i}`}\n` }) as ZonePlan;
    const plans = [...Array.from({ length: 9 }, (_, i) => plan(i)), plan(10, false)];
    const out = await checkPlans(plans, checker);
    assert.deepEqual(out.map((p) => p.domain), plans.map((p) => p.domain));
    assert.deepEqual(out.map((p) => p.refused !== undefined), [false, true, false, false, true, false, false, true, false, false]);
    assert.equal(out[9], plans[9], "a zone not to be written is not checked");
    assert.match(out[4]!.reason, /^refused by named-checkzone: .*<zone>:4: near .not-an-address.: bad dotted quad.*zone z4\.example\.com\/IN/);
  });

  test("a zone named like an option is checked, not taken as one: `--` comes before it", async () => {
    const checker = zoneCheckerFor("always", "edgemanage.yaml")!;
    // Without `--`, `named-checkzone -v` prints its version and exits 0: a bad zone would pass.
    const r = await checker.check("-v", "this is not a zone\n");
    assert.equal(r.ok, false);
  });
});

describe("zone_check: a zone bind would refuse is never published", () => {
  const edges = loopbackAddresses(3, 1000);
  let sim: EdgeSim;
  let fx: Fixture;
  before(async () => {
    requireTool("named-checkzone", "bind9-utils");
    sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
    fx = new Fixture({ edges, port: sim.port, zones: { "example.com": "mail\tIN\tA\t192.0.2.25\n", "example.org": "@\tIN\tTXT\t\"ok\"\n" } });
  });
  after(async () => {
    await sim.close();
    fx.cleanup();
  });

  test("a good run writes both zones and the stamp file last", async () => {
    const r = await fx.run();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((await checkZone("example.com", fx.path("named", "example.com.zone"))).code, 0);
    const stamp = JSON.parse(readFileSync(fx.path("named", `.edgemanage.${fx.dnet}.stamp`), "utf8")) as { dnet: string; serials: Record<string, number> };
    assert.equal(stamp.dnet, fx.dnet);
    assert.deepEqual(Object.keys(stamp.serials), ["example.com", "example.org"]);
  });

  test("the dry-run plan shows the refusal and exits 1", async () => {
    fx.setInclude("example.com", BAD_INCLUDE);
    const before = fx.zone();
    const r = await fx.run("-n");
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /example\.com: REFUSED, not written: .*<zone>:\d+: near .not-an-address.: bad dotted quad/);
    assert.equal(fx.zone(), before);
  });

  test("a run keeps the previous file of the refused zone, writes the others, and exits 1", async () => {
    fx.setInclude("example.com", BAD_INCLUDE);
    fx.setInclude("example.org", "@\tIN\tTXT\t\"changed\"\n");
    const before = fx.zone();
    const r = await fx.run("--force-update");
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(fx.zone(), before, "the refused zone's previous file stays");
    assert.match(fx.zone("example.org") ?? "", /"changed"/);
    const refusal = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { level: number; msg: string; zone?: string })
      .find((l) => l.zone === "example.com" && l.level === 50);
    assert.ok(refusal, r.stdout);
    assert.match(refusal.msg, /^zone example\.com refused by named-checkzone: .*not-an-address.*; its previous file stays in place$/);
    // The state keeps the last written zone's record, so the next run tries again.
    assert.equal(fx.state().zones["example.com"]!.hash.length, 64);
  });

  test("fixing the include file publishes the zone again", async () => {
    fx.setInclude("example.com", "mail\tIN\tA\t192.0.2.26\n");
    const r = await fx.run();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(fx.zone() ?? "", /192\.0\.2\.26/);
  });

  test("zone_check: never writes what bind would refuse (the reason the check exists)", async () => {
    fx.writeConfig({ zone_check: "never" });
    fx.setInclude("example.com", BAD_INCLUDE);
    try {
      const r = await fx.run("--force-update");
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(existsSync(fx.path("named", "example.com.zone")));
      assert.notEqual((await checkZone("example.com", fx.path("named", "example.com.zone"))).code, 0);
    } finally {
      fx.writeConfig({});
    }
  });
});

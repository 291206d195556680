import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";
import { Named } from "./support/named.js";

/** End to end: edgemanage writes zones, a real named serves them, dig sees the live edges. */
describe("end to end with bind", () => {
  const edges = loopbackAddresses(4, 600);
  let sim: EdgeSim;
  let fx: Fixture;
  let named: Named;

  before(async () => {
    sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
    await sim.set(edges[2]!, { kind: "ok", delayMs: 150 });
    await sim.set(edges[3]!, { kind: "ok", delayMs: 200 });
    fx = new Fixture({ edges, port: sim.port, zones: { "example.com": "mail\tIN\tA\t192.0.2.25\n" } });
    const r = await fx.run();
    assert.equal(r.code, 0, r.stderr);
    named = await Named.start([{ name: "example.com", file: fx.path("named", "example.com.zone") }]);
    // From now on a zone change reloads named through the run_after_changes hook.
    fx.writeConfig({ commands: { run_after_changes: [named.rndc("reload")], run_after: null, run_before: null } });
  });
  after(async () => {
    await named?.stop();
    await sim.close();
    fx.cleanup();
  });

  test("named serves the live edges at the apex and the rotate_zones labels", async () => {
    assert.deepEqual(await named.dig("example.com", "A"), [edges[0]!, edges[1]!].sort());
    assert.deepEqual(await named.dig("www.example.com", "A"), [edges[0]!, edges[1]!].sort());
    assert.deepEqual(await named.dig("mail.example.com", "A"), ["192.0.2.25"]);
    assert.deepEqual(await named.dig("example.com", "NS"), ["ns1.example.net.", "ns2.example.net."]);
  });

  test("a failing edge leaves DNS after the next run and rndc reload", async () => {
    await sim.set(edges[0]!, { kind: "refuse" });
    const r = await fx.run();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /command ran/);
    let answer: string[] = [];
    for (let i = 0; i < 30; i++) {
      answer = await named.dig("example.com", "A");
      if (!answer.includes(edges[0]!)) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.deepEqual(answer, [edges[1]!, edges[2]!].sort(), named.log());
  });
});

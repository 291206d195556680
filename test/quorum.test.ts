import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseConfig } from "../src/config/load.js";
import type { Observation } from "../src/core/observation.js";
import { type VantageView, combineVantages } from "../src/core/quorum.js";
import { sameInterval } from "../src/core/quorum.js";
import { decodeObservations, encodeObservations } from "../src/vantage/observations.js";
import { OperatorError } from "../src/util/errors.js";

const NOW = 1_800_000_000;
const FAIL = 10;
const ok = (seconds: number): Observation => ({ seconds, outcome: "ok" });
const down: Observation = { seconds: FAIL, outcome: "refused" };
const view = (name: string, obs: Record<string, Observation>, age = 30): VantageView => ({ name, time: NOW - age, observations: new Map(Object.entries(obs)) });
const PEERS = ["a", "b", "c"];

describe("combining the vantages' observations", () => {
  const cases: [string, VantageView, (VantageView | null)[], string, number][] = [
    ["all pass: the median time", view("a", { e: ok(0.1) }, 0), [view("b", { e: ok(0.3) }), view("c", { e: ok(0.2) })], "ok", 0.2],
    ["one slow vantage cannot move the median far", view("a", { e: ok(0.1) }, 0), [view("b", { e: ok(9) }), view("c", { e: ok(0.12) })], "ok", 0.12],
    ["one failing vantage is outvoted: the median of those that passed", view("a", { e: down }, 0), [view("b", { e: ok(0.3) }), view("c", { e: ok(0.2) })], "ok", 0.25],
    ["a quorum (2 of 3) failing fails the edge", view("a", { e: ok(0.1) }, 0), [view("b", { e: down }), view("c", { e: down })], "refused", FAIL],
    ["stale peers do not vote: alone, a vantage is a single prober", view("a", { e: down }, 0), [view("b", { e: ok(0.1) }, 600), null], "refused", FAIL],
  ];
  for (const [name, self, others, outcome, seconds] of cases) {
    test(name, () => {
      const c = combineVantages(self, others, PEERS, NOW, 150, 2, FAIL);
      const o = c.observations.get("e")!;
      assert.equal(o.outcome, outcome);
      assert.equal(o.seconds, seconds);
    });
  }

  test("fresh, stale, the quorum applied, the warning and the disagreements", () => {
    const c = combineVantages(view("a", { e: down, f: ok(0.1) }, 0), [view("b", { e: ok(0.2), f: ok(0.1) }, 600), null], PEERS, NOW, 150, 2, FAIL);
    assert.deepEqual(c.fresh, ["a"]);
    assert.deepEqual([...c.stale], [["b", "observations 600s old (stale_after 150s)"], ["c", "no observations"]]);
    assert.equal(c.quorum, 1);
    assert.equal(c.warning, "only 1 of 3 vantages are fresh (quorum 2): deciding from those present");
    const d = combineVantages(view("a", { e: down }, 0), [view("b", { e: ok(0.2) }), view("c", { e: ok(0.3) })], PEERS, NOW, 150, 2, FAIL).disagreements;
    assert.deepEqual(d, [{ edge: "e", views: { a: "fail (refused)", b: "0.200s", c: "0.300s" }, result: "0.250s" }]);
  });

  test("the observations object round-trips at millisecond resolution", () => {
    const v = view("b", { "192.0.2.1": ok(0.1234), "192.0.2.2": down });
    const back = decodeObservations(encodeObservations(v, "net"));
    assert.deepEqual([...back.observations], [["192.0.2.1", ok(0.123)], ["192.0.2.2", { seconds: FAIL, outcome: "refused" }]]);
    assert.equal(back.name, "b");
    assert.equal(back.time, v.time);
  });

  test("one decision per interval: intervals are aligned on the clock", () => {
    assert.equal(sameInterval(null, NOW, 60), false);
    assert.equal(sameInterval(1_800_000_001, 1_800_000_059, 60), true, "both in [1800000000, 1800000060)");
    assert.equal(sameInterval(1_799_999_999, 1_800_000_000, 60), false, "one second apart, but across the minute");
  });
});

describe("vantage configuration", () => {
  const base = "testobject: {host: h, uri: /o, local: o}\ndns: {ns_records: [ns1.example.net.], soa_nameserver: ns1.example.net., soa_mailbox: h.example.net.}\nhealthdata_store: h\nedgelist_dir: e\ngoodenough: 0.5\nstatefile: s\nlockfile: l\nzonetemplate_dir: z\nedge_count: 2\nnamed_dir: n\n";
  const parse = (extra: string) => parseConfig(base + extra, "edgemanage.yaml");
  test("the default quorum is a majority of the peers", () => {
    assert.equal(parse("state: {backend: s3, bucket: state}\nvantage: {name: a, peers: [a, b, c, d]}\n").config.vantage!.quorum, 3);
  });
  const refusals: [string, string, RegExp][] = [
    ["needs the S3 state", "vantage: {name: a, peers: [a, b]}\n", /vantage: several vantage points share their observations and decisions through S3: set state.backend: s3/],
    ["peers include this vantage", "state: {backend: s3, bucket: state}\nvantage: {name: a, peers: [b, c]}\n", /vantage.peers: vantage.peers must include vantage.name/],
    ["quorum at most the peers", "state: {backend: s3, bucket: state}\nvantage: {name: a, peers: [a, b], quorum: 3}\n", /vantage.quorum: vantage.quorum cannot be more than the number of peers/],
  ];
  for (const [name, extra, message] of refusals) {
    test(name, () => assert.throws(() => parse(extra), (e: unknown) => e instanceof OperatorError && message.test(e.message)));
  }
});

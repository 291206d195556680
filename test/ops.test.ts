import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { type CheckName, DEFAULT_THRESHOLDS, formatCheck, runCheck } from "../src/ops/checks.js";
import { type EdgeRow, formatRows, humanDuration, queryRows } from "../src/ops/query.js";
import { type NetworkState, emptyEdge, emptyState } from "../src/core/state.js";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";
import { PreconditionLayer, S3_ENV } from "./support/s3.js";
import { runCli } from "./support/tools.js";
import { seriesOf } from "../src/core/history.js";

const NOW = 1_800_000_000;

/** A state as runs leave it: a live edge, a slow one, a drained one with a comment, a failing one. */
function sampleState(): NetworkState {
  const s = emptyState("net");
  s.lastRun = NOW - 30;
  s.lastLive = ["192.0.2.1", "192.0.2.2"];
  s.rotations = [NOW - 7200, NOW - 1800, NOW - 600];
  s.verificationFailures = ["192.0.2.4"];
  const rec = (values: number[], extra: Partial<ReturnType<typeof emptyEdge>>) => ({ ...emptyEdge(), samples: seriesOf(values.map((v, i) => [NOW - 60 * (values.length - i), v] as [number, number])), ...extra });
  s.edges["192.0.2.1"] = rec([0.1, 0.2, 0.3], { state: "in", health: "pass_threshold", changed: NOW - 3600, rotations: [NOW - 3600] });
  s.edges["192.0.2.2"] = rec([1.5, 2.5], { state: "in", health: "pass_window", changed: NOW - 90_000, rotations: [NOW - 90_000] });
  s.edges["192.0.2.3"] = rec([0.4], { mode: "unavailable", health: "pass_threshold", changed: NOW - 100, comment: 'maintenance, "disk"' });
  s.edges["192.0.2.4"] = rec([10], { health: "fail", changed: null });
  return s;
}
const EDGES = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"];

describe("query: rows, filters and formats", () => {
  const cases: [string, Parameters<typeof queryRows>[3], string[]][] = [
    ["no filter: every listed edge, in list order", {}, EDGES],
    ["--state in", { state: "in" }, ["192.0.2.1", "192.0.2.2"]],
    ["--state out", { state: "out" }, ["192.0.2.3", "192.0.2.4", "192.0.2.5"]],
    ["--health allpass: judged, not failing", { health: "allpass" }, ["192.0.2.1", "192.0.2.2", "192.0.2.3"]],
    ["--health fail", { health: "fail" }, ["192.0.2.4"]],
    ["--mode unavailable", { mode: "unavailable" }, ["192.0.2.3"]],
    ["filters combine", { state: "out", health: "pass_threshold" }, ["192.0.2.3"]],
  ];
  for (const [name, filter, expected] of cases) {
    test(name, () => assert.deepEqual(queryRows(sampleState(), EDGES, NOW, filter).map((r) => r.edge), expected));
  }

  test("a row has every field, with times from the state and the clock", () => {
    const [row] = queryRows(sampleState(), ["192.0.2.2"], NOW);
    assert.deepEqual(row, {
      edge: "192.0.2.2",
      mode: "available",
      state: "in",
      health: "pass_window",
      since: NOW - 90_000,
      in_state_seconds: 90_000,
      last_fetch_seconds: 2.5,
      window_mean_seconds: 2,
      mean_seconds: 2,
      rotations_24h: 0,
      comment: null,
      cert_days_left: null,
    } satisfies EdgeRow);
    assert.equal(queryRows(sampleState(), ["192.0.2.5"], NOW)[0]!.health, null, "an edge the state has not seen yet");
  });

  test("formats: table aligned, flat and csv with --header, json with stable names", () => {
    const rows = queryRows(sampleState(), EDGES.slice(0, 3), NOW);
    const table = formatRows(rows, "table", false).split("\n");
    assert.match(table[0]!, /^EDGE {7,}MODE {8,}STATE {2}HEALTH {9,}IN_STATE {2}LAST {2}WINDOW {2}MEAN {2}ROT24H {2}CERT_DAYS {2}COMMENT$/);
    assert.equal(table[1]!.indexOf("available"), table[0]!.indexOf("MODE"));
    assert.match(table[3]!, /^192\.0\.2\.3 +unavailable +out +pass_threshold +100s +0\.4 +0\.4 +0\.4 +0 +- +maintenance, "disk"$/);
    assert.equal(formatRows(rows, "flat", false).split("\n")[0], "192.0.2.1 available in pass_threshold 60m 0.3 0.2 0.2 1 - -");
    const csv = formatRows(rows, "csv", true).split("\n");
    assert.equal(csv[0], "edge,mode,state,health,in_state_seconds,last_fetch_seconds,window_mean_seconds,mean_seconds,rotations_24h,cert_days_left,comment");
    assert.equal(csv[3], '192.0.2.3,unavailable,out,pass_threshold,100,0.4,0.4,0.4,0,,"maintenance, ""disk"""');
    assert.deepEqual(JSON.parse(formatRows(rows, "json", false)), rows);
    assert.deepEqual([humanDuration(null), humanDuration(42), humanDuration(600), humanDuration(7200), humanDuration(200_000)], ["-", "42s", "10m", "2h", "2d"]);
  });
});

describe("checks: Nagios semantics", () => {
  const t = (w: number, c: number) => ({ warning: w, critical: c });
  const cases: [string, Exclude<CheckName, "served" | "dnssec">, NetworkState, { warning: number; critical: number }, boolean, 0 | 1 | 2 | 3, RegExp][] = [
    ["integrity OK", "integrity", { ...sampleState(), verificationFailures: [] }, DEFAULT_THRESHOLDS.integrity, false, 0, /INTEGRITY OK - net: every edge served the right test object .*\| 'verification_failures'=0;1;1;0;$/],
    ["integrity CRITICAL on any failure (an edge serving the wrong object may be compromised)", "integrity", sampleState(), DEFAULT_THRESHOLDS.integrity, false, 2, /INTEGRITY CRITICAL - net: 1 edge\(s\) served a wrong test object in the last run: 192\.0\.2\.4/],
    ["integrity WARNING with -w 1 -c 3", "integrity", sampleState(), t(1, 3), false, 1, /INTEGRITY WARNING/],
    ["latency OK: live edges' window means 0.2 and 2 → 1.1", "latency", sampleState(), t(1.5, 3), false, 0, /LATENCY OK - net: mean fetch time of the 2 live edges: 1\.1s .*\| 'mean'=1\.1s;1\.5;3;0; '192\.0\.2\.1'=0\.2s;;;0; '192\.0\.2\.2'=2s;;;0;$/],
    ["latency WARNING", "latency", sampleState(), DEFAULT_THRESHOLDS.latency, false, 1, /LATENCY WARNING/],
    ["latency --all counts the failing edge", "latency", sampleState(), t(3, 4), true, 1, /LATENCY WARNING - net: mean fetch time of all 4 edges: 3\.15s/],
    ["latency UNKNOWN without samples", "latency", { ...sampleState(), lastLive: ["192.0.2.9"] }, DEFAULT_THRESHOLDS.latency, false, 3, /LATENCY UNKNOWN - net: no fetch times recorded for the live edges$/],
    ["rotation: 2 changes in the last hour", "rotation", sampleState(), DEFAULT_THRESHOLDS.rotation, false, 0, /ROTATION OK - net: 2 live-set change\(s\) in the last hour \| 'changes_1h'=2;3;6;0;$/],
    ["rotation CRITICAL", "rotation", sampleState(), t(1, 2), false, 2, /ROTATION CRITICAL/],
    ["freshness OK", "freshness", sampleState(), DEFAULT_THRESHOLDS.freshness, false, 0, /FRESHNESS OK - net: last completed run 30s ago .*\| 'age'=30s;180;600;0;$/],
    ["freshness CRITICAL", "freshness", { ...sampleState(), lastRun: NOW - 900 }, DEFAULT_THRESHOLDS.freshness, false, 2, /FRESHNESS CRITICAL - net: last completed run 900s ago/],
    ["freshness UNKNOWN before any run", "freshness", { ...sampleState(), lastRun: null }, DEFAULT_THRESHOLDS.freshness, false, 3, /FRESHNESS UNKNOWN - net: no run has completed yet$/],
  ];
  for (const [name, check, state, thresholds, all, status, line] of cases) {
    test(name, () => {
      const r = runCheck(check, state, NOW, thresholds, all);
      assert.equal(r.status, status);
      assert.match(formatCheck(check, "net", r).trimEnd(), line);
    });
  }
});

describe("query and check against states written by real runs", () => {
  const edges = loopbackAddresses(3, 1200);
  const [e1, e2, e3] = edges as [string, string, string];
  let sim: EdgeSim;
  let fx: Fixture;
  before(async () => {
    sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
    await sim.set(e1, { kind: "ok", delayMs: 0 });
    await sim.set(e2, { kind: "ok", delayMs: 60 });
    await sim.set(e3, { kind: "wrong-body" });
    fx = new Fixture({ edges, port: sim.port });
  });
  after(async () => {
    await sim.close();
    fx.cleanup();
  });
  const cli = (...args: string[]) => runCli([...args, "-A", fx.dnet, ...(args[0] === "check" ? ["--config"] : ["-c"]), fx.configPath]);

  test("before any run: query fails with the reason, every check is UNKNOWN", async () => {
    const q = await cli("query");
    assert.equal(q.code, 1);
    assert.match(q.stderr, /no state yet for network testnet/);
    for (const name of ["integrity", "latency", "rotation", "freshness"]) {
      const r = await cli("check", name);
      assert.equal(r.code, 3, name);
      assert.match(r.stdout, new RegExp(`^EDGEMANAGE ${name.toUpperCase()} UNKNOWN - .*no state yet for network testnet.*\\n$`));
    }
  });

  test("after two runs: query in every format", async () => {
    for (let i = 0; i < 2; i++) assert.equal((await fx.run()).code, 0);
    const flat = await cli("query");
    assert.equal(flat.code, 0, flat.stderr);
    assert.deepEqual(flat.stdout.trim().split("\n").map((l) => l.split(" ").slice(0, 4).join(" ")), [`${e1} available in pass_threshold`, `${e2} available in pass_threshold`, `${e3} available out fail`]);
    const json = JSON.parse((await cli("query", "--format", "json", "--state", "in")).stdout) as EdgeRow[];
    assert.deepEqual(json.map((r) => r.edge), [e1, e2]);
    assert.equal(json[0]!.rotations_24h, 1);
    assert.ok(json[0]!.mean_seconds! < 0.3);
    const csv = (await cli("query", "--format", "csv", "--header", "--health", "fail")).stdout.split("\n");
    assert.match(csv[0]!, /^edge,mode,state,health,/);
    assert.match(csv[1]!, new RegExp(`^${e3.replaceAll(".", "\\.")},available,out,fail,`));
    assert.match((await cli("query", "--format", "table")).stdout, /^EDGE +MODE +STATE +HEALTH +IN_STATE/);
    assert.equal((await cli("query", "-q", "--mode", "force")).code, 1, "-q: no edge in mode force");
    assert.equal((await cli("query", "-q", "--state", "in")).stdout, "");
    const hist = await cli("query", "--history", e1);
    assert.match(hist.stdout, new RegExp(`^history of ${e1.replaceAll(".", "\\.")}: mode available, state in, health pass_threshold\\nsamples \\(latest 2 of 2\\):\\n  \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z  0\\.\\d{3}s\\n`));
    const bad = await cli("query", "--format", "yaml");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--format must be one of flat, csv, json, table/);
  });

  test("after two runs: each check", async () => {
    const integrity = await cli("check", "integrity");
    assert.equal(integrity.code, 2, integrity.stdout);
    assert.match(integrity.stdout, new RegExp(`served a wrong test object in the last run: ${e3.replaceAll(".", "\\.")}`));
    const latency = await cli("check", "latency", "-w", "0.5", "-c", "1");
    assert.equal(latency.code, 0, latency.stdout);
    assert.match(latency.stdout, /^EDGEMANAGE LATENCY OK - testnet: mean fetch time of the 2 live edges: /);
    assert.equal((await cli("check", "rotation", "-w", "1", "-c", "5")).code, 1);
    const fresh = await cli("check", "freshness");
    assert.equal(fresh.code, 0, fresh.stdout);
    assert.equal((await cli("check", "freshness", "-w", "0", "-c", "0")).code, 2);
    const typo = await cli("check", "latency", "-w", "soon");
    assert.deepEqual([typo.code, typo.stdout], [3, "EDGEMANAGE LATENCY UNKNOWN - -w must be a number of at least 0\n"]);
  });

  test("an unreadable state file is UNKNOWN and is left exactly as it is", async () => {
    const file = fx.path("state", `${fx.dnet}.state`);
    const good = readFileSync(file);
    writeFileSync(file, "{ not json");
    try {
      const r = await cli("check", "freshness");
      assert.equal(r.code, 3);
      assert.match(r.stdout, /^EDGEMANAGE FRESHNESS UNKNOWN - .*testnet\.state: the state file is unreadable/);
      assert.equal((await cli("query")).code, 1);
      assert.equal(readFileSync(file, "utf8"), "{ not json");
    } finally {
      writeFileSync(file, good);
    }
  });

  test("the same commands read a state in S3", async () => {
    const s3 = await PreconditionLayer.start(["ops"]);
    try {
      fx.writeConfig({ state: { backend: "s3", bucket: "ops", force_path_style: true } });
      const env = { ...S3_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint };
      assert.equal((await runCli(["-A", fx.dnet, "-c", fx.configPath, "--force"], env)).code, 0);
      const from = s3.requests.length;
      const q = await runCli(["query", "-A", fx.dnet, "-c", fx.configPath, "--format", "json"], env);
      assert.equal(q.code, 0, q.stderr);
      assert.equal((JSON.parse(q.stdout) as EdgeRow[]).length, 3);
      const f = await runCli(["check", "freshness", "-A", fx.dnet, "--config", fx.configPath], env);
      assert.match(f.stdout, /^EDGEMANAGE FRESHNESS OK - testnet: last completed run \ds ago/);
      assert.deepEqual(s3.requests.slice(from).map((r) => r.method), ["GET", "GET"], "read only: one GET each, nothing written");
    } finally {
      fx.writeConfig({});
      await s3.stop();
    }
  });
});

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { decide } from "../src/core/decide.js";
import { DEFAULT_LIMITS } from "../src/core/history.js";
import { families, mergeExposition } from "../src/metrics/exposition.js";
import { forget, groupingOf, push } from "../src/metrics/publish.js";
import { buildRegistry } from "../src/metrics/registry.js";
import { pino } from "pino";
import { newReport } from "../src/metrics/report.js";
import { emptyState } from "../src/core/state.js";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";
import { freePort } from "./support/named.js";
import { promtoolCheck, samples } from "./support/metrics.js";
import { CLI, NODE_FLAGS, requireTool, run } from "./support/tools.js";

const NOW = 1_800_000_000;

describe("metrics: the registry of a run", () => {
  test("a completed run: every family, valid for promtool, one-hot judgements and modes", async () => {
    const report = newReport("net");
    const observations = new Map([
      ["192.0.2.1", { seconds: 0.1, outcome: "ok" as const }],
      ["192.0.2.2", { seconds: 10, outcome: "refused" as const }],
    ]);
    report.observations = observations;
    report.wanted = 1;
    report.decision = decide({ now: NOW, edges: ["192.0.2.1", "192.0.2.2"], canaries: new Map(), observations, previous: emptyState("net"), settings: { edgeCount: 1, goodenough: 0.5, failValue: 10, maxChangesPer10Min: 10, canaryKiller: 3, limits: DEFAULT_LIMITS } });
    report.zones = [];
    report.written = [];
    report.stateSave = "saved";
    const text = await buildRegistry(report, { now: NOW, durationSeconds: 1.25, exitCode: 0 }).metrics();
    await promtoolCheck(text);
    assert.deepEqual(samples(text, "edgemanage_run_duration_seconds"), ['{dnet="net"} 1.25']);
    assert.deepEqual(samples(text, "edgemanage_last_success_timestamp_seconds"), [`{dnet="net"} ${NOW}`]);
    assert.deepEqual(samples(text, "edgemanage_edge_live"), ['{edge="192.0.2.1",dnet="net"} 1', '{edge="192.0.2.2",dnet="net"} 0']);
    assert.deepEqual(samples(text, "edgemanage_edge_health").filter((l) => l.endsWith(" 1")), ['{edge="192.0.2.1",judgement="pass_threshold",dnet="net"} 1', '{edge="192.0.2.2",judgement="fail",dnet="net"} 1']);
    assert.equal(samples(text, "edgemanage_edge_health").length, 10, "5 judgements × 2 edges");
    assert.deepEqual(samples(text, "edgemanage_state_save"), ['{outcome="failed",dnet="net"} 0', '{outcome="lost_race",dnet="net"} 0', '{outcome="not_attempted",dnet="net"} 0', '{outcome="saved",dnet="net"} 1']);
    assert.ok(samples(text, "edgemanage_probe_failures").includes('{outcome="refused",dnet="net"} 1'));
    assert.deepEqual(samples(text, "edgemanage_live_edges"), ['{dnet="net"} 1']);
  });

  test("a run that failed early reports only the run's families, and no success", async () => {
    const text = await buildRegistry(newReport("net"), { now: NOW, durationSeconds: 0.2, exitCode: 1 }).metrics();
    await promtoolCheck(text);
    assert.deepEqual([...families(text).keys()].sort(), ["edgemanage_last_run_timestamp_seconds", "edgemanage_run_duration_seconds", "edgemanage_run_exit_code", "edgemanage_run_success", "edgemanage_state_save"]);
  });

  test("merging keeps the families a run did not report and replaces the others whole", () => {
    const prev = "# HELP a_x x\n# TYPE a_x gauge\na_x{edge=\"1\"} 1\na_x{edge=\"2\"} 2\n# HELP b_y y\n# TYPE b_y gauge\nb_y 5\n";
    const cur = "# HELP a_x x\n# TYPE a_x gauge\na_x{edge=\"1\"} 3\n";
    assert.equal(mergeExposition(prev, cur), "# HELP a_x x\n# TYPE a_x gauge\na_x{edge=\"1\"} 3\n# HELP b_y y\n# TYPE b_y gauge\nb_y 5\n");
  });
});

describe("metrics from real runs: Pushgateway, textfile, /metrics", () => {
  const edges = loopbackAddresses(3, 1300);
  const [e1, e2, e3] = edges as [string, string, string];
  let sim: EdgeSim;
  let fx: Fixture;
  let gateway: ChildProcess;
  let gatewayUrl: string;
  const gatewayMetrics = async () => (await fetch(`${gatewayUrl}/metrics`)).text();

  before(async () => {
    requireTool("prometheus-pushgateway", "prometheus-pushgateway");
    sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
    fx = new Fixture({ edges, port: sim.port });
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    // Its own persistence file: never the system's data, never an earlier run's series.
    gateway = spawn("prometheus-pushgateway", [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${fx.path("pushgateway.data")}`], { stdio: "ignore" });
    for (let i = 0; i < 100; i++) {
      if (await fetch(`${gatewayUrl}/-/ready`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    fx.writeConfig({ metrics: { pushgateway: gatewayUrl, textfile: fx.path("metrics", "edgemanage.prom") } });
  });
  after(async () => {
    // The Pushgateway writes its persistence file as it stops: the folder goes once it has.
    const exited = new Promise((r) => (gateway.exitCode !== null ? r(null) : gateway.once("exit", r)));
    gateway.kill();
    await exited;
    await sim.close();
    fx.cleanup();
  });

  test("a run pushes to the Pushgateway, grouped by job and network, and writes the textfile", async () => {
    const r = await fx.run();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"msg":"metrics pushed"/);
    const text = await gatewayMetrics();
    await promtoolCheck(text.split("\n").filter((l) => /^(# (HELP|TYPE) )?edgemanage_/.test(l)).join("\n") + "\n");
    const live = samples(text, "edgemanage_edge_live");
    assert.equal(live.length, 3);
    assert.ok(live.every((l) => /dnet="testnet"/.test(l) && /job="edgemanage"/.test(l)), live.join("\n"));
    assert.equal(live.filter((l) => l.endsWith(" 1")).length, 2);
    assert.equal(samples(text, "edgemanage_run_success")[0]?.endsWith(" 1"), true);
    const file = readFileSync(fx.path("metrics", "edgemanage.prom"), "utf8");
    await promtoolCheck(file);
    assert.equal(samples(file, "edgemanage_edge_live").length, 3);
    console.log(text.split("\n").filter((l) => /^edgemanage_(run|last|live|edge_live|edge_health.*\} 1|edge_window|state_save|zones)/.test(l)).map((l) => `# pushgateway: ${l}`).join("\n"));
  });

  test("two vantages pushing one network to one gateway keep their own groups", async () => {
    const reg = (name: string) => {
      const r = newReport("shared");
      r.vantage = { fresh: 2, peers: 2, adoptedFrom: null, freshness: new Map([[name, true]]) };
      return buildRegistry(r, { now: 1, durationSeconds: 1, exitCode: 0 });
    };
    const log = pino({ level: "silent" });
    for (const v of ["eu", "us"]) await push(gatewayUrl, "edgemanage", groupingOf("shared", v), reg(v), 2, log);
    const fresh = samples(await gatewayMetrics(), "edgemanage_vantage_fresh").filter((l) => l.includes('dnet="shared"'));
    assert.equal(fresh.length, 2, fresh.join("\n"));
    for (const v of ["eu", "us"]) await forget({ pushgateway: gatewayUrl, job: "edgemanage", push_timeout: 2 }, groupingOf("shared", v));
    assert.ok(!(await gatewayMetrics()).includes('dnet="shared"'));
  });

  test("metrics forget deletes a network's group: nothing of it stays at the gateway", async () => {
    assert.ok((await gatewayMetrics()).includes('dnet="testnet"'));
    const r = await run(process.execPath, [...NODE_FLAGS, CLI, "metrics", "forget", "-A", fx.dnet, "-c", fx.configPath]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^deleted the Pushgateway group job="edgemanage",dnet="testnet" at http/);
    assert.ok(!(await gatewayMetrics()).includes('dnet="testnet"'));
    // The next run pushes it again.
    assert.equal((await fx.run()).code, 0);
  });

  test("an edge removed from the list: its series disappear", async () => {
    fx.setEdges([e1, e2]);
    try {
      assert.equal((await fx.run()).code, 0);
      const text = await gatewayMetrics();
      assert.ok(!text.includes(`edge="${e3}"`), "no series of the removed edge at the Pushgateway");
      assert.ok(!readFileSync(fx.path("metrics", "edgemanage.prom"), "utf8").includes(`edge="${e3}"`), "nor in the textfile");
    } finally {
      fx.setEdges(edges);
    }
  });

  test("a failed run keeps the last success timestamp and the edges' series, and says it failed", async () => {
    const previous = await gatewayMetrics();
    const before = samples(previous, "edgemanage_last_success_timestamp_seconds");
    // Within 30 s of the last run and without --force: refused after reading the state.
    const r = await run(process.execPath, [...NODE_FLAGS, CLI, "-A", fx.dnet, "-c", fx.configPath]);
    assert.equal(r.code, 1);
    const text = await gatewayMetrics();
    assert.deepEqual(samples(text, "edgemanage_last_success_timestamp_seconds"), before);
    assert.ok(samples(text, "edgemanage_run_success")[0]!.endsWith(" 0"));
    assert.ok(samples(text, "edgemanage_run_exit_code")[0]!.endsWith(" 1"));
    assert.deepEqual(samples(text, "edgemanage_edge_live"), samples(previous, "edgemanage_edge_live"));
    const file = readFileSync(fx.path("metrics", "edgemanage.prom"), "utf8");
    await promtoolCheck(file);
    assert.deepEqual(samples(file, "edgemanage_last_success_timestamp_seconds").length, 1);
    assert.ok(samples(file, "edgemanage_run_success")[0]!.endsWith(" 0"));
  });

  test("a Pushgateway that never answers costs at most push_timeout and leaves the exit code alone", async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    const port = (silent.address() as net.AddressInfo).port;
    fx.writeConfig({ metrics: { pushgateway: `http://127.0.0.1:${port}`, push_timeout: 1 } });
    try {
      const r = await fx.run();
      assert.equal(r.code, 0, r.stderr);
      const line = r.stdout.split("\n").find((l) => l.includes("metrics not pushed"));
      assert.ok(line, r.stdout);
      assert.match(line, /timed out|aborted|TimeoutError/i);
    } finally {
      silent.close();
      fx.writeConfig({ metrics: { pushgateway: gatewayUrl, textfile: fx.path("metrics", "edgemanage.prom") } });
    }
  });

  test("--daemonise serves the same metrics on /metrics, and /healthz", async () => {
    // Port 0: the daemon says where it listens ("serving /metrics and /healthz on 127.0.0.1:PORT").
    fx.writeConfig({ metrics: { listen: "127.0.0.1:0" } });
    const proc = spawn(process.execPath, [...NODE_FLAGS, CLI, "-A", fx.dnet, "-c", fx.configPath, "--daemonise"], { stdio: ["ignore", "pipe", "ignore"] });
    let logged = "";
    proc.stdout.on("data", (d) => (logged += d));
    try {
      let text = "";
      let port = "";
      for (let i = 0; i < 100 && !text.includes("edgemanage_run_success"); i++) {
        await new Promise((r) => setTimeout(r, 100));
        port ||= /serving \/metrics and \/healthz on 127\.0\.0\.1:(\d+)/.exec(logged)?.[1] ?? "";
        if (port) text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => "");
      }
      await promtoolCheck(text);
      assert.equal(samples(text, "edgemanage_edge_live").length, 3);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(health.status, 200);
      assert.match(await health.text(), /^ok: last run ended \d+s ago/);
    } finally {
      const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
      proc.kill("SIGTERM");
      assert.equal(await exited, 0);
      fx.writeConfig({});
    }
  });
});

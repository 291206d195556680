import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";
import { checkZone, runCli } from "./support/tools.js";
import { selfSigned } from "./support/tls.js";

/** Every zone the CLI wrote must pass named-checkzone. */
async function assertZonesValid(fx: Fixture) {
  for (const f of readdirSync(fx.path("named")).filter((n) => n.endsWith(".zone"))) {
    const r = await checkZone(f.slice(0, -5), fx.path("named", f));
    assert.equal(r.code, 0, `named-checkzone ${f}: ${r.stdout}${r.stderr}`);
  }
}

function serialOf(zone: string | null): number {
  const m = /IN\tSOA\t\S+ \S+ (\d+)/.exec(zone ?? "");
  assert.ok(m, "zone has a SOA");
  return Number(m[1]);
}

/** Content and mtime of every file under a folder. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const n of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, n.name);
      if (n.isDirectory()) walk(p);
      else out.set(p, `${statSync(p).mtimeMs} ${readFileSync(p, "utf8")}`);
    }
  };
  walk(dir);
  return out;
}

describe("edgemanage CLI against loopback edges", () => {
  const edges = loopbackAddresses(6, 400);
  const [e1, e2, e3, e4, e5, e6] = edges as [string, string, string, string, string, string];
  let sim: EdgeSim;
  let fx: Fixture;
  before(async () => {
    sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
    // Staggered: e3 and e5 are the fastest, then e1, e6 ...
    const delays: Record<string, number> = { [e1]: 120, [e2]: 220, [e3]: 0, [e4]: 260, [e5]: 40, [e6]: 170 };
    for (const [a, d] of Object.entries(delays)) await sim.set(a, { kind: "ok", delayMs: d });
    fx = new Fixture({ edges, port: sim.port, zones: { "example.com": "mail\tIN\tA\t192.0.2.25\n", "example.org": "@\tIN\tTXT\t\"hello\"\n" } });
  });
  after(async () => {
    await sim.close();
    fx.cleanup();
  });

  test("first run publishes the fastest N of staggered edges", async () => {
    const r = await fx.run();
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fx.apexAddresses(), [e3, e5].sort());
    assert.deepEqual(fx.apexAddresses("example.org"), [e3, e5].sort());
    assert.deepEqual(fx.liveList(), [e3, e5].sort());
    const state = fx.state();
    assert.deepEqual([...state.lastLive].sort(), [e3, e5].sort());
    assert.equal(state.edges[e3]!.state, "in");
    assert.equal(state.edges[e4]!.state, "out");
    assert.equal(state.edges[e3]!.samples.t.length, 1);
    await assertZonesValid(fx);
    // Every decision is logged with its reason, as JSON lines.
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { msg: string; reason?: string });
    assert.ok(lines.some((l) => /^edge \S+ published/.test(l.msg) && l.reason));
    assert.equal(lines.filter((l) => /^edge \S+ judged (pass_threshold|pass): /.test(l.msg)).length, edges.length);
    assert.ok(lines.some((l) => /^zone \S+ written/.test(l.msg)));
    // The last line sums the run up, for log shipping: one record per run.
    const summary = lines.at(-1) as unknown as Record<string, unknown>;
    assert.equal(summary.msg, "run finished");
    assert.deepEqual(summary.live, [e3, e5].sort());
    assert.deepEqual((summary.changes as { edge: string; change: string }[]).map((c) => `${c.change} ${c.edge}`).sort(), [`join ${e3}`, `join ${e5}`].sort());
    assert.deepEqual(summary.zonesWritten, ["example.com", "example.org"]);
    assert.equal(summary.guard, "clear");
    assert.equal(summary.stateSave, "saved");
  });

  test("the Host header and User-Agent reach the edges", () => {
    const seen = sim.requests.filter((q) => q.address === e1);
    assert.ok(seen.length > 0);
    assert.ok(seen.every((q) => q.host === "test.example.org" && q.path === "/edgemanage.object"));
    assert.match(seen[0]!.userAgent ?? "", /^edgemanage\//);
  });

  test("a healthy live set is left alone: no zone rewritten, even when a faster edge appears", async () => {
    const before = fx.zone();
    const mtime = statSync(fx.path("named", "example.com.zone")).mtimeMs;
    await sim.set(e6, { kind: "ok", delayMs: 0 });
    const r = await fx.run();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fx.zone(), before);
    assert.equal(statSync(fx.path("named", "example.com.zone")).mtimeMs, mtime);
    assert.match(r.stdout, /zone example\.com skipped: unchanged/);
    assert.equal(fx.state().edges[e3]!.samples.t.length, 2);
  });

  test("a live edge that starts failing is replaced, with a higher serial", async () => {
    const serial = serialOf(fx.zone());
    await sim.set(e3, { kind: "status", status: 500 });
    const r = await fx.run();
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fx.apexAddresses(), [e5, e6].sort());
    assert.ok(serialOf(fx.zone()) > serial);
    assert.match(r.stdout, /edge \S+ dropped: judged fail/);
    await assertZonesValid(fx);
  });

  test("a wrong checksum counts as a failure and is listed as a verification failure", async () => {
    await sim.set(e6, { kind: "wrong-body" });
    const r = await fx.run();
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!fx.apexAddresses().includes(e6));
    const state = fx.state();
    assert.deepEqual(state.verificationFailures, [e6]);
    assert.equal(state.edges[e6]!.health, "fail");
  });

  test("all edges down: the old set is kept and an error logged", async () => {
    const live = fx.apexAddresses();
    for (const e of edges) await sim.set(e, { kind: "refuse" });
    try {
      const r = await fx.run();
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(fx.apexAddresses(), live);
      // The same decision as the classic fallback; by default the mass-failure guard says why first.
      assert.match(r.stdout, /"level":50.*guard: mass failure suspected: 4 of the 4 edges that passed in the last good run fail now/);
    } finally {
      for (const e of edges) await sim.set(e, { kind: "ok" });
    }
  });

  test("dry run writes nothing at all and prints a readable plan with a zone diff", async () => {
    await sim.set(e5, { kind: "hang" });
    const before = snapshot(fx.dir);
    const r = await runCli(["-A", fx.dnet, "-c", fx.configPath, "-n"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(snapshot(fx.dir), before);
    assert.match(r.stdout, /^edgemanage plan for network testnet \(dry run/);
    assert.doesNotMatch(r.stdout, /"level"/, "stdout is the plan alone: the log lines are on stderr");
    assert.match(r.stderr, /"msg":"probing done"/);
    assert.ok(r.stderr.split("\n").filter(Boolean).every((l) => !/\d\.\d{4,}/.test(l)), "numbers in logs are rounded to the millisecond");
    assert.match(r.stdout, new RegExp(`- ${e5.replaceAll(".", "\\.")}  leave: judged fail`));
    assert.match(r.stdout, new RegExp(`example\\.com: would write .* \\(addresses \\+127\\.0\\.\\d+\\.\\d+ -${e5.replaceAll(".", "\\.")}\\)`));
    assert.match(r.stdout, new RegExp(`^\\s+- @\\tIN\\tA\\t${e5.replaceAll(".", "\\.")}$`, "m"));
    await sim.set(e5, { kind: "ok", delayMs: 0 });
  });

  test("--force-update rewrites every zone", async () => {
    const serials = [serialOf(fx.zone()), serialOf(fx.zone("example.org"))];
    const r = await fx.run("--force-update");
    assert.equal(r.code, 0, r.stderr);
    assert.ok(serialOf(fx.zone()) > serials[0]!);
    assert.ok(serialOf(fx.zone("example.org")) > serials[1]!);
  });

  test("a changed include file rewrites only its zone", async () => {
    const other = fx.zone("example.org");
    fx.setInclude("example.com", "mail\tIN\tA\t192.0.2.26\n");
    const r = await fx.run();
    assert.equal(r.code, 0, r.stderr);
    assert.match(fx.zone() ?? "", /192\.0\.2\.26/);
    assert.equal(fx.zone("example.org"), other);
    await assertZonesValid(fx);
  });

  test("a run within 30 s of the previous one is refused without --force", async () => {
    const r = await runCli(["-A", fx.dnet, "-c", fx.configPath]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^edgemanage: network testnet: last run was \d+s ago .*--force at your own risk\n$/);
  });

  test("a held lock refuses a concurrent run of the same network", async () => {
    writeFileSync(fx.path(`edgemanage.lock.${fx.dnet}`), `1 some-other-host\n`);
    const r = await fx.run();
    assert.equal(r.code, 1);
    assert.match(r.stderr, /holds the lock/);
    renameSync(fx.path(`edgemanage.lock.${fx.dnet}`), fx.path("stale-lock"));
  });

  test("edge-conf drains and forces single edges", async () => {
    const live = fx.apexAddresses();
    const drained = live[0]!;
    let r = await runCli(["edge-conf", "-A", fx.dnet, "-c", fx.configPath, "--mode", "unavailable", "--comment", "maintenance", drained]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /available -> unavailable/);
    r = await fx.run();
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!fx.apexAddresses().includes(drained));
    assert.equal(fx.state().edges[drained]!.comment, "maintenance");
    // A slow edge forced in is published although faster ones exist.
    await sim.set(e4, { kind: "ok", delayMs: 450 });
    r = await runCli(["edge-conf", "-A", fx.dnet, "-c", fx.configPath, "--mode", "force", e4]);
    assert.equal(r.code, 0, r.stderr);
    r = await fx.run();
    assert.ok(fx.apexAddresses().includes(e4), r.stdout);
    await runCli(["edge-conf", "-A", fx.dnet, "-c", fx.configPath, "--mode", "available", drained, e4]);
  });

  test("edge-conf refuses an edge the network does not have, naming the closest; --allow-unknown sets it; __proto__ is no edge", async () => {
    const typo = `${e4}0`;
    const before = fx.state();
    const r = await runCli(["edge-conf", "-A", fx.dnet, "-c", fx.configPath, "--mode", "unavailable", typo]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `edgemanage: edge-conf: ${typo} is not an edge of network ${fx.dnet} (did you mean ${e4}?); nothing was changed. Pass --allow-unknown to set the mode of an edge not listed yet\n`);
    assert.deepEqual(fx.state(), before);
    const proto = await runCli(["edge-conf", "-A", fx.dnet, "-c", fx.configPath, "--mode", "unavailable", "--allow-unknown", "__proto__"]);
    assert.equal(proto.code, 2, proto.stdout);
    const ok = await runCli(["edge-conf", "-A", fx.dnet, "-c", fx.configPath, "--mode", "unavailable", "--allow-unknown", "edge9.example.net"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(fx.state().edges["edge9.example.net"]!.mode, "unavailable");
  });

  test("a zone file deleted from named_dir is written again", async () => {
    renameSync(fx.path("named", "example.org.zone"), fx.path("gone.zone"));
    const r = await fx.run();
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fx.zone("example.org"));
    assert.match(r.stdout, /zone file missing/);
  });
});

describe("edgemanage CLI: canaries, hooks, HTTPS and faults", () => {
  const edges = loopbackAddresses(3, 500);
  const [canary1, canary2] = loopbackAddresses(2, 520);
  let sim: EdgeSim;
  before(async () => {
    const cert = await selfSigned("test.example.org");
    sim = await EdgeSim.start({ addresses: [...edges, canary1!, canary2!], body: TEST_OBJECT, tls: cert });
    process.env.NODE_EXTRA_CA_CERTS = cert.certFile;
  });
  after(() => sim.close());

  test("HTTPS with SNI and certificate verification; canary published in its zone only", async () => {
    const fx = new Fixture({
      edges,
      port: sim.port,
      zones: { "example.com": "", "example.org": "" },
      canaries: { "example.com": canary1!, "bad.example": "not-an-ip" },
    });
    fx.writeConfig({ testobject: { host: "test.example.org", port: sim.port, proto: "https", uri: "/o", local: "object.edgemanage", verify: true } });
    const r = await fx.run();
    assert.equal(r.code, 0, r.stderr);
    assert.ok(sim.requests.filter((q) => edges.includes(q.address)).every((q) => q.servername === "test.example.org"));
    const com = fx.apexAddresses("example.com");
    assert.equal(com.length, 2);
    assert.ok(com.includes(canary1!), "canary in its zone");
    assert.ok(!fx.apexAddresses("example.org").includes(canary1!), "not in other zones");
    assert.ok(!fx.liveList()!.includes(canary1!), "canary never live");
    assert.match(r.stdout, /bad\.example is invalid/);
    assert.equal(fx.state().zones["example.com"]!.canary, canary1);
    await assertZonesValid(fx);
    // The canary fails: the zone is rewritten without it.
    await sim.set(canary1!, { kind: "status", status: 502 });
    const r2 = await fx.run();
    assert.equal(r2.code, 0, r2.stderr);
    assert.ok(!fx.apexAddresses("example.com").includes(canary1!));
    assert.match(r2.stdout, new RegExp(`zone example\\.com written: addresses \\+127\\.0\\.\\d+\\.\\d+ -${canary1!.replaceAll(".", "\\.")}; canary ${canary1!.replaceAll(".", "\\.")} -> none`));
    fx.cleanup();
  });

  test("hooks run without a shell: run_before, run_after, run_after_changes only when a zone was written", async () => {
    const fx = new Fixture({ edges, port: sim.port });
    const marks = fx.path("marks");
    fx.writeConfig({
      testobject: { host: "test.example.org", port: sim.port, proto: "https", uri: "/o", local: "object.edgemanage", verify: true },
      commands: { run_before: [`touch ${marks}-before`], run_after: [`touch ${marks}-after`], run_after_changes: [`mkdir ${marks}-changes`], },
    });
    assert.equal((await fx.run()).code, 0);
    for (const m of ["before", "after", "changes"]) assert.ok(existsSync(`${marks}-${m}`), m);
    // Second run: nothing changes, so run_after_changes does not run (mkdir would fail and log).
    const r = await fx.run();
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.stdout, /command failed/);
    fx.cleanup();
  });

  test("run_deadline: edges that never answer cannot make the run overrun", async () => {
    const fx = new Fixture({ edges: [...edges, canary2!], port: sim.port });
    await sim.set(canary2!, { kind: "hang" });
    fx.writeConfig({ testobject: { host: "test.example.org", port: sim.port, proto: "https", uri: "/o", local: "object.edgemanage", verify: true }, timeout: 30, run_deadline: 2, workers: 2 });
    const t0 = Date.now();
    const r = await fx.run();
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Date.now() - t0 < 6000, `took ${Date.now() - t0} ms`);
    assert.equal(fx.state().edges[canary2!]!.samples.v[0]!, 30, "recorded as the failure value");
    assert.match(r.stdout, /workers=2 may not let 4 probes finish within run_deadline/);
    assert.equal(fx.apexAddresses().length, 2);
    fx.cleanup();
  });

  test("a corrupt state file is kept aside and the run goes on from an empty history", async () => {
    const fx = new Fixture({ edges, port: sim.port });
    fx.writeConfig({ testobject: { host: "test.example.org", port: sim.port, proto: "https", uri: "/o", local: "object.edgemanage", verify: true } });
    writeFileSync(fx.path("state", `${fx.dnet}.state`), '{"schema":1,"dnet":"tes');
    const r = await fx.run();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /state file is unreadable: kept aside/);
    assert.ok(readdirSync(fx.path("state")).some((n) => n.includes(".corrupt-")));
    assert.equal(fx.state().edges[edges[0]!]!.samples.t.length, 1);
    fx.cleanup();
  });

  test("import into the local-file store from classic files elsewhere", async () => {
    const fx = new Fixture({ edges, port: sim.port });
    const old = 1_700_000_000;
    writeFileSync(fx.path("classic.state"), JSON.stringify({ rotation_list: [old], last_run: old, last_live: [edges[0]], verification_failues: [] }));
    writeFileSync(fx.path("health", `${edges[0]}.edgestore`), JSON.stringify({ fetch_times: { [old]: 0.2, [old + 60]: 0.3 }, mode: "blindforce", comment: "pinned" }));
    const r = await runCli(["import", "-A", fx.dnet, "-c", fx.configPath, "--statefile", fx.path("classic.state")]);
    assert.equal(r.code, 0, r.stderr);
    const st = fx.state();
    assert.deepEqual(st.edges[edges[0]!]!.samples, { t: [old, old + 60], v: [0.2, 0.3] });
    assert.equal(st.edges[edges[0]!]!.mode, "blindforce");
    assert.deepEqual(st.lastLive, [edges[0]]);
    fx.cleanup();
  });

  test("import --adopt takes over the zone files the classic tool wrote, counting up from their serials", async () => {
    const fx = new Fixture({ edges, port: sim.port });
    const old = 1_700_000_000;
    writeFileSync(fx.path("classic.state"), JSON.stringify({ rotation_list: [old], last_run: old, last_live: [edges[0]], verification_failues: [] }));
    const classicZone = "$TTL 300\n@ IN SOA ns1.example.net. hostmaster.example.net. ( 2026112501 43200 10800 1209600 300 )\n@ IN NS ns1.example.net.\n";
    writeFileSync(fx.path("named", "example.com.zone"), classicZone);
    const plain = await runCli(["import", "-A", fx.dnet, "-c", fx.configPath, "--statefile", fx.path("classic.state")]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /1 zone file\(s\) in named_dir carry no ownership line and will not be overwritten: example\.com; import again with --adopt/);
    const refused = await fx.run();
    assert.equal(refused.code, 1);
    assert.equal(fx.zone(), classicZone);
    const adopt = await runCli(["import", "-A", fx.dnet, "-c", fx.configPath, "--statefile", fx.path("classic.state"), "--overwrite", "--adopt"]);
    assert.match(adopt.stdout, /adopted 1 zone file\(s\) of named_dir: example\.com/);
    const r = await fx.run();
    assert.equal(r.code, 0, r.stdout);
    assert.equal(serialOf(fx.zone()), 2_026_112_502);
    fx.cleanup();
  });

  test("a classic state file and its edgestores are migrated, losing no sample", async () => {
    const fx = new Fixture({ edges, port: sim.port });
    fx.writeConfig({ testobject: { host: "test.example.org", port: sim.port, proto: "https", uri: "/o", local: "object.edgemanage", verify: true } });
    const old = Date.now() / 1000 - 3600;
    writeFileSync(fx.path("state", `${fx.dnet}.state`), JSON.stringify({ rotation_list: [old], last_run: old, last_live: [edges[2]], verification_failues: [] }));
    const fetchTimes = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [String(old + i * 60), 0.05]));
    writeFileSync(fx.path("health", `${edges[2]}.edgestore`), JSON.stringify({ fetch_times: fetchTimes, historical_average: {}, rotation_history: [old], state: "in", mode: "available", health: "pass", state_entry_time: old }));
    const r = await fx.run();
    assert.equal(r.code, 0, r.stderr);
    const state = fx.state();
    assert.equal(state.edges[edges[2]!]!.samples.t.length, 51);
    assert.ok(state.lastLive.includes(edges[2]!), "previously live edge kept (stability)");
    assert.ok(existsSync(fx.path("state", `${fx.dnet}.state.classic`)));
    fx.cleanup();
  });
});

describe("edgemanage CLI: operator errors", () => {
  test("--help and --version", async () => {
    const h = await runCli(["--help"]);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /-A, --dnet NAME/);
    const v = await runCli(["--version"]);
    assert.match(v.stdout, /^edgemanage \d+\.\d+\.\d+\n$/);
  });
  test("missing -A, unknown flag, bad config: one line on stderr, non-zero, no stack trace", async () => {
    const a = await runCli(["-c", "/x.yaml"]);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /^edgemanage: -A\/--dnet NAME is required/);
    const b = await runCli(["-A", "x", "--frobnicate"]);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /Unknown option '--frobnicate'/);
    const fx = new Fixture({ edges: ["127.0.0.1"], port: 1, config: { goodenough: "fast" } });
    const c = await fx.run();
    assert.equal(c.code, 2);
    assert.equal(c.stderr.trim().split("\n").length, 1);
    assert.match(c.stderr, /edgemanage\.yaml: invalid configuration: goodenough: /);
    assert.doesNotMatch(c.stderr, /\n\s+at /);
    fx.cleanup();
  });
});

describe("edgemanage CLI: SIGTERM", () => {
  test("stops promptly, writes nothing and releases the lock", async () => {
    const [edge] = loopbackAddresses(1, 900);
    const sim = await EdgeSim.start({ addresses: [edge!], body: TEST_OBJECT });
    await sim.set(edge!, { kind: "hang" });
    const fx = new Fixture({ edges: [edge!], port: sim.port, config: { timeout: 30, run_deadline: 30 } });
    const { spawn } = await import("node:child_process");
    const { CLI, NODE_FLAGS } = await import("./support/tools.js");
    const child = spawn(process.execPath, [...NODE_FLAGS, CLI, "-A", fx.dnet, "-c", fx.configPath, "--force"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    // Wait for the probe to be in flight, then terminate.
    for (let i = 0; i < 100 && !sim.requests.some((q) => q.address === edge); i++) await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => child.on("close", r));
    assert.equal(code, 143);
    assert.ok(Date.now() - t0 < 3000);
    assert.match(stderr, /interrupted while probing; nothing was written/);
    assert.equal(fx.zone(), null);
    assert.equal(existsSync(fx.path("state", `${fx.dnet}.state`)), false);
    assert.equal(existsSync(fx.path(`edgemanage.lock.${fx.dnet}`)), false);
    await sim.close();
    fx.cleanup();
  });
});

describe("edgemanage CLI: host names, IPv6 and --daemonise", () => {
  test("an edge given by name and an IPv6 edge are probed and published as A and AAAA", async () => {
    const sim = await EdgeSim.start({ addresses: ["127.0.0.1", "::1"], body: TEST_OBJECT });
    // "localhost" resolves through /etc/hosts: no DNS traffic leaves the machine.
    const fx = new Fixture({ edges: ["localhost", "::1"], port: sim.port });
    const r = await fx.run();
    assert.equal(r.code, 0, r.stderr);
    const zone = fx.zone() ?? "";
    assert.match(zone, /^@\tIN\tAAAA\t::1$/m);
    assert.match(zone, /^@\tIN\tA\t127\.0\.0\.1$/m);
    assert.match(zone, /^www\tIN\tAAAA\t::1$/m);
    assert.deepEqual(fx.liveList(), ["::1", "localhost"]);
    await assertZonesValid(fx);
    await sim.close();
    fx.cleanup();
  });

  test("--daemonise runs, then stops cleanly on SIGTERM", async () => {
    const edges = loopbackAddresses(2, 950);
    const sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
    // Its /metrics on a port of the system's choosing: the default (9464) is one any other copy of the suite wants too.
    const fx = new Fixture({ edges, port: sim.port, config: { metrics: { listen: "127.0.0.1:0" } } });
    const { spawn } = await import("node:child_process");
    const { CLI, NODE_FLAGS } = await import("./support/tools.js");
    const child = spawn(process.execPath, [...NODE_FLAGS, CLI, "-A", fx.dnet, "-c", fx.configPath, "--daemonise"], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    for (let i = 0; i < 200 && !/state saved/.test(stdout); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(fx.zone(), "the first run wrote the zone");
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => child.on("close", r));
    assert.equal(code, 0);
    assert.equal(existsSync(fx.path(`edgemanage.lock.${fx.dnet}`)), false);
    await sim.close();
    fx.cleanup();
  });
});

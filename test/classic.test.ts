import assert from "node:assert/strict";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";
import { CLI, type Ran, run } from "./support/tools.js";

/**
 * The classic tools' documented command lines, run against this program linked under their names
 * (as the package's bin entries and the image install it), on a state written by real runs.
 */
describe("the classic tools' command lines", () => {
  const [fast, slow, bad] = loopbackAddresses(3, 2400) as [string, string, string];
  let sim: EdgeSim;
  let fx: Fixture;
  let bin: string;
  const tool = (name: string, ...args: string[]): Promise<Ran> => run(process.execPath, [join(bin, name), ...args], { env: { ...process.env, SUDO_USER: "" } });
  const cfg = () => ["-A", fx.dnet, "-c", fx.configPath];

  before(async () => {
    bin = mkdtempSync(join(tmpdir(), "em-bin-"));
    for (const t of ["edge_manage", "edge_query", "edge_conf", "check_edgemanage_integrity", "check_edgemanage_latency", "check_edgemanage_rotation"]) symlinkSync(CLI, join(bin, t));
    sim = await EdgeSim.start({ addresses: [fast, slow, bad], body: TEST_OBJECT });
    await sim.set(slow, { kind: "ok", delayMs: 80 });
    await sim.set(bad, { kind: "wrong-body" });
    fx = new Fixture({ edges: [fast, slow, bad], port: sim.port });
    for (let i = 0; i < 2; i++) assert.equal((await fx.run()).code, 0);
  });
  after(async () => {
    await sim.close();
    fx.cleanup();
    rmSync(bin, { recursive: true, force: true });
  });

  test("edge_manage -A DNET -c CONFIG -n: a dry run, the plan on stdout", async () => {
    const r = await tool("edge_manage", ...cfg(), "-n");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^edgemanage plan for network testnet \(dry run/);
  });

  test("edge_query -q prints host names one per line; -s in the live ones; scripts pipe it", async () => {
    const all = await tool("edge_query", ...cfg(), "-q");
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout, `${fast}\n${slow}\n${bad}\n`);
    const live = await tool("edge_query", ...cfg(), "-s", "in", "-q");
    assert.equal(live.stdout, [fast, slow].map((e) => `${e}\n`).join(""));
  });

  test("edge_query -v --header -f csv: mode, state, health, name, duration, comment; -f json as the classic printed it", async () => {
    const r = await tool("edge_query", ...cfg(), "-v", "--header", "-f", "csv");
    const [head, ...rows] = r.stdout.trim().split("\n");
    assert.equal(head, "mode,state,health,edgename,duration,comment");
    assert.match(rows[0]!, new RegExp(`^available,in,pass\\w*,${fast.replaceAll(".", "\\.")},\\d+,None$`));
    assert.match(rows[2]!, new RegExp(`^available,out,fail,${bad.replaceAll(".", "\\.")},`));
    const flat = await tool("edge_query", ...cfg(), "-H", "fail");
    assert.match(flat.stdout, new RegExp(`^${bad.replaceAll(".", "\\.")}\\t-?\\d+\\n$`));
    const json = await tool("edge_query", ...cfg(), "-f", "json", "-v", "-s", "out");
    assert.deepEqual(Object.keys(JSON.parse(json.stdout.trim()) as object), ["edge", "time_since_state_change", "health", "state"]);
    const wrong = await tool("edge_query", ...cfg(), "-m", "drained");
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /^edge_query: argument --mode\/-m: invalid choice: 'drained' \(choose from 'available', 'force', 'blindforce', 'unavailable'\)/);
  });

  test("edge_conf: a comment is required but for available, signed with the user, cleared on available", async () => {
    const none = await tool("edge_conf", ...cfg(), "-m", "unavailable", slow);
    assert.equal(none.code, 1);
    assert.equal(none.stderr, "Comment required for mode to be changed to anything but available.\n");
    const set = await tool("edge_conf", ...cfg(), "-m", "unavailable", "-C", "disk replaced", "--no-syslog", slow);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, `Set mode for ${slow} to unavailable\n`);
    assert.equal(fx.state().edges[slow]!.comment, `[${userInfo().username}] disk replaced`);
    const q = await tool("edge_query", ...cfg(), "-m", "unavailable", "-v");
    assert.match(q.stdout, new RegExp(`^unavailable\\t\\w+\\t\\w+\\t${slow.replaceAll(".", "\\.")}\\t\\d+\\t\\[${userInfo().username}\\] disk replaced\\n$`));
    const back = await tool("edge_conf", ...cfg(), "-m", "available", "--no-syslog", slow);
    assert.equal(back.stdout, `Set mode for ${slow} to available\n`);
    assert.equal(fx.state().edges[slow]!.comment, null);
  });

  test("check_edgemanage_integrity STATEFILE: CRIT on any verification failure, numeric perfdata", async () => {
    const r = await tool("check_edgemanage_integrity", fx.path("state", "testnet.state"));
    assert.equal(r.code, 2);
    assert.equal(r.stdout, `EDGE_TESTMATCH CRIT Verification failures on 1 edges: ${bad} | notok=1 badedges=1\n`);
    const missing = await tool("check_edgemanage_integrity", fx.path("state", "nope.state"));
    assert.equal(missing.code, 3);
    assert.match(missing.stdout, /^EDGE_TESTMATCH UNKNOWN .*nope\.state: cannot read it/);
  });

  test("check_edgemanage_latency -A DNET -c CONFIG [-w] [-C]: the slowest live edge; -C is critical", async () => {
    const r = await tool("check_edgemanage_latency", ...cfg());
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^ACTIVE_EDGE_LATENCY OK Slowest active edge ${slow.replaceAll(".", "\\.")} responded in 0\\.\\d{6} \\| slowestactive=0\\.\\d{6}s;1;2;0;\\n$`));
    const warn = await tool("check_edgemanage_latency", ...cfg(), "-w", "0.001", "-C", "5");
    assert.equal(warn.code, 1);
    assert.match(warn.stdout, /^ACTIVE_EDGE_LATENCY WARN /);
    const crit = await tool("check_edgemanage_latency", ...cfg(), "--all", "-w", "0.0005", "-C", "0.001");
    assert.equal(crit.code, 2);
  });

  test("check_edgemanage_rotation STATEFILE [-w] [-c]: live-set changes in 10 minutes", async () => {
    const r = await tool("check_edgemanage_rotation", fx.path("state", "testnet.state"));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^EDGE_ROTATE OK [12] in 600 seconds \| frequency=[12];4;8;0;\n$/);
    const warn = await tool("check_edgemanage_rotation", fx.path("state", "testnet.state"), "-w", "1", "-c", "8");
    assert.equal(warn.code, 1);
    const usage = await tool("check_edgemanage_rotation");
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /the following arguments are required: statefile/);
  });
});

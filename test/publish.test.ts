import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseConfig, settingsFor } from "../src/config/load.js";
import { verifyOutputs } from "../src/run/outputs.js";
import type { RunPlan } from "../src/run/plan.js";
import { FileError, writeFileAtomic } from "../src/util/fs.js";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";
import { mountTmpfs } from "./support/tmpfs.js";
import { CLI, type Ran, requireTool, run } from "./support/tools.js";

const serialOf = (zone: string | null) => Number(/IN\tSOA\t\S+ \S+ (\d+)/.exec(zone ?? "")?.[1]);
const logLines = (r: Ran) => r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { msg: string; level: number });

describe("writes that cannot lie (a 64 KiB tmpfs)", () => {
  const [e1, e2] = loopbackAddresses(2, 1700) as [string, string];
  let sim: EdgeSim;
  let fx: Fixture;
  let mnt: Awaited<ReturnType<typeof mountTmpfs>>;
  before(async () => {
    sim = await EdgeSim.start({ addresses: [e1, e2], body: TEST_OBJECT });
    mnt = await mountTmpfs(64);
    fx = new Fixture({ edges: [e1, e2], port: sim.port });
    fx.writeConfig({ named_dir: mnt.dir });
  });
  after(async () => {
    await sim.close();
    await mnt.unmount();
    fx.cleanup();
  });

  test("a file larger than the free space: the error names it, the previous file stays, no temporary file is left", () => {
    const file = join(mnt.dir, "probe.txt");
    writeFileAtomic(file, "previous\n");
    assert.throws(() => writeFileAtomic(file, Buffer.alloc(100 * 1024, "x")), (e: Error) => e instanceof FileError && e.message.startsWith(`${file}: cannot write (ENOSPC`));
    assert.equal(readFileSync(file, "utf8"), "previous\n");
    assert.deepEqual(readdirSync(mnt.dir).filter((n) => n.startsWith(".")), []);
  });

  test("a zone that does not fit: exit 1 naming the file, bind's file stays whole, the next run writes it again", async () => {
    const first = await fx.run();
    assert.equal(first.code, 0, first.stderr);
    const published = readFileSync(join(mnt.dir, "example.com.zone"), "utf8");
    fx.setInclude("example.com", `big\tIN\tTXT\t"${"x".repeat(200)}"\n`.repeat(400));
    const full = await fx.run();
    assert.equal(full.code, 1, full.stdout);
    assert.ok(logLines(full).some((l) => l.level >= 50 && l.msg.includes(`${join(mnt.dir, "example.com.zone")}: cannot write (ENOSPC`)), full.stdout);
    assert.equal(readFileSync(join(mnt.dir, "example.com.zone"), "utf8"), published, "the previous zone is served, not a cut-off one");
    assert.deepEqual(readdirSync(mnt.dir).filter((n) => n.endsWith(".tmp")), []);
    assert.equal(fx.state().zones["example.com"]!.serial, serialOf(published), "the state does not record the failed write");
    fx.setInclude("example.com", "small\tIN\tA\t192.0.2.30\n");
    const again = await fx.run();
    assert.equal(again.code, 0, again.stderr);
    assert.match(readFileSync(join(mnt.dir, "example.com.zone"), "utf8"), /small\tIN\tA\t192\.0\.2\.30/);
    fx.writeConfig({});
  });

  test("a state that does not fit is not saved: exit 1 naming the file, and the previous state stays readable", async () => {
    fx.writeConfig({ statefile: join(mnt.dir, "{dnet}.state") });
    const first = await fx.run();
    assert.equal(first.code, 0, first.stderr);
    const before = readFileSync(join(mnt.dir, "testnet.state"), "utf8");
    const fs = statfsSync(mnt.dir);
    writeFileSync(join(mnt.dir, "filler"), Buffer.alloc(Math.max(0, fs.bavail * fs.bsize - 2048)));
    // More edges, more state: refused addresses (nobody listens there), so the run is quick.
    const big = loopbackAddresses(400, 3000);
    fx.setEdges([e1, e2, ...big]);
    const full = await fx.run();
    assert.equal(full.code, 1, full.stdout);
    assert.match(full.stderr, new RegExp(`${join(mnt.dir, "testnet.state")}: cannot write \\(ENOSPC`));
    assert.equal(readFileSync(join(mnt.dir, "testnet.state"), "utf8"), before);
    assert.deepEqual(readdirSync(mnt.dir).filter((n) => n.endsWith(".tmp")), []);
    fx.setEdges([e1, e2]);
  });
});

describe("verify: every written file is read back", () => {
  test("a file that reads back different from the plan is an error naming it", () => {
    const dir = mkdtempSync(join(tmpdir(), "em-verify-"));
    const { config } = parseConfig(readFileSync(new URL("../../edgemanage.example.yaml", import.meta.url), "utf8"), join(dir, "edgemanage.yaml"));
    const s = settingsFor({ ...config, named_dir: dir }, join(dir, "edgemanage.yaml"), "net");
    const zone = { domain: "example.com", write: true, reason: "", text: "the planned bytes\n", addresses: [], record: { hash: "", serial: 1, canary: null } };
    const plan = { zones: [zone], liveList: null } as unknown as RunPlan;
    writeFileSync(join(dir, "example.com.zone"), "the planned bytes\n");
    assert.deepEqual(verifyOutputs(s, plan, ["example.com"]), []);
    writeFileSync(join(dir, "example.com.zone"), "the planned by");
    assert.deepEqual(verifyOutputs(s, plan, ["example.com"]), [`${join(dir, "example.com.zone")}: reads back different from what was written (14 bytes, 18 written)`]);
  });
});

describe("zone files as bind serves them", () => {
  const [e1, e2, e3] = loopbackAddresses(3, 1710) as [string, string, string];
  let sim: EdgeSim;
  let fx: Fixture;
  before(async () => {
    sim = await EdgeSim.start({ addresses: [e1, e2, e3], body: TEST_OBJECT });
    fx = new Fixture({ edges: [e1, e2, e3], port: sim.port });
  });
  after(async () => {
    await sim.close();
    fx.cleanup();
  });

  test("a zone edited by hand is rewritten with a new serial and the reason", async () => {
    assert.equal((await fx.run()).code, 0);
    const written = fx.zone()!;
    writeFileSync(fx.path("named", "example.com.zone"), written.replace(/^(@\tIN\tA\t).*$/m, "$1203.0.113.66"));
    const r = await fx.run();
    assert.equal(r.code, 0, r.stderr);
    assert.ok(logLines(r).some((l) => l.msg === "zone example.com written: zone file differs from the last written (changed outside edgemanage)"), r.stdout);
    assert.doesNotMatch(fx.zone()!, /203\.0\.113\.66/);
    assert.ok(serialOf(fx.zone()) > serialOf(written));
    const quiet = await fx.run();
    assert.ok(logLines(quiet).some((l) => l.msg === "zone example.com skipped: unchanged"));
  });

  test("a stamp file that is missing or not this run's (a write that failed) is written again, though no zone changed", async () => {
    const stamp = fx.path("named", `.edgemanage.${fx.dnet}.stamp`);
    const good = readFileSync(stamp, "utf8");
    assert.deepEqual(Object.keys((JSON.parse(good) as { serials: object }).serials), ["example.com"]);
    writeFileSync(stamp, "{\"by\":\"hand\"}\n");
    const zone = fx.zone();
    const r = await fx.run();
    assert.equal(r.code, 0);
    assert.equal(readFileSync(stamp, "utf8"), good);
    assert.equal(fx.zone(), zone, "the zone itself is not rewritten");
  });

  test("every zone names its owner; a zone another network owns is never overwritten", async () => {
    assert.match(fx.zone()!, /^; managed by edgemanage network=testnet\n/);
    const other = new Fixture({ dnet: "othernet", edges: [e1, e2], port: sim.port });
    try {
      other.writeConfig({ named_dir: fx.path("named") });
      const before = fx.zone();
      const r = await other.run();
      assert.equal(r.code, 1, r.stdout);
      assert.ok(logLines(r).some((l) => l.level >= 50 && l.msg === "zone example.com refused: the zone file belongs to network testnet, not othernet: list example.com under one network only; its file is left as it is"), r.stdout);
      assert.equal(fx.zone(), before);
    } finally {
      other.cleanup();
    }
  });

  test("a zone file no edgemanage wrote is taken over only with --adopt or adopt_zones", async () => {
    const other = new Fixture({ dnet: "fresh", edges: [e1, e2], port: sim.port, zones: { "example.org": "mail\tIN\tA\t192.0.2.25\n" } });
    try {
      const foreign = "$TTL 300\n@ IN SOA ns1.example.net. h.example.net. 1 2 3 4 5\n@ IN NS ns1.example.net.\n";
      writeFileSync(other.path("named", "example.org.zone"), foreign);
      const r = await other.run();
      assert.equal(r.code, 1);
      assert.ok(logLines(r).some((l) => /zone example\.org refused: the zone file was not written by edgemanage \(no ownership line\): take it over with --adopt or adopt_zones: true/.test(l.msg)), r.stdout);
      assert.equal(other.zone("example.org"), foreign);
      const adopted = await other.run("--adopt");
      assert.equal(adopted.code, 0, adopted.stdout);
      assert.match(other.zone("example.org")!, /^; managed by edgemanage network=fresh\n/);
    } finally {
      other.cleanup();
    }
  });

  test("adopt_zones: true takes such files over without the flag", async () => {
    const other = new Fixture({ dnet: "adopter", edges: [e1, e2], port: sim.port, zones: { "example.org": "mail\tIN\tA\t192.0.2.25\n" } });
    try {
      writeFileSync(other.path("named", "example.org.zone"), "$TTL 300\n@ IN SOA ns1.example.net. h.example.net. 1 2 3 4 5\n");
      other.writeConfig({ adopt_zones: true });
      const r = await other.run();
      assert.equal(r.code, 0, r.stdout);
      assert.match(other.zone("example.org")!, /^; managed by edgemanage network=adopter\n/);
    } finally {
      other.cleanup();
    }
  });

  test("outputs that are one file are refused before anything is touched (exit 2)", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ live_list: "named/example.com.zone" }, /live_list and named_dir \(zone example\.com\) are the same file/],
      [{ lockfile: "state/{dnet}.state" }, /lockfile and statefile are the same file/],
      [{ metrics: { textfile: "state/{dnet}.live" } }, /live_list and metrics\.textfile are the same file/],
    ];
    const before = fx.zone();
    for (const [over, message] of cases) {
      fx.writeConfig(over);
      const r = await fx.run();
      assert.equal(r.code, 2, `${JSON.stringify(over)}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /"dnet"/, "one line, not the state");
      assert.equal(fx.zone(), before);
    }
    fx.writeConfig({});
  });

  test("an include file whose name is not a domain (-v.zone) is refused: the checker cannot be bypassed", async () => {
    fx.setInclude("-v", "www\tIN\tA\t192.0.2.1\n");
    try {
      const r = await fx.run();
      assert.equal(r.code, 2, r.stdout);
      assert.match(r.stderr, /-v\.zone: '-v' is not a domain name/);
      assert.deepEqual(readdirSync(fx.path("named")).filter((n) => n.startsWith("-")), []);
    } finally {
      rmSync(fx.path("zones", fx.dnet, "-v.zone"));
    }
  });
});

describe("the guard really freezes (names re-pointed in a private /etc/hosts)", () => {
  const [a, b, c, moved] = loopbackAddresses(4, 1720) as [string, string, string, string];
  let sim: EdgeSim;
  let fx: Fixture;
  let hosts: string;
  const cli = (...args: string[]): Promise<Ran> =>
    run("unshare", ["--mount", "--propagation", "private", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, process.execPath, CLI, "-A", fx.dnet, "-c", fx.configPath, "--force", ...args]);
  const point = (map: Record<string, string>) => writeFileSync(hosts, `127.0.0.1 localhost\n${Object.entries(map).map(([n, ip]) => `${ip} ${n}`).join("\n")}\n`);

  before(async () => {
    requireTool("unshare", "util-linux");
    sim = await EdgeSim.start({ addresses: [a, b, c], body: TEST_OBJECT });
    await sim.set(a, { kind: "ok", delayMs: 0 });
    await sim.set(b, { kind: "ok", delayMs: 20 });
    await sim.set(c, { kind: "ok", delayMs: 150 });
    hosts = join(mkdtempSync(join(tmpdir(), "em-hosts-")), "hosts");
    point({ "a.edges.test": a, "b.edges.test": b, "c.edges.test": c });
    fx = new Fixture({ edges: ["a.edges.test", "b.edges.test", "c.edges.test"], port: sim.port });
    fx.writeConfig({ edge_count: 2, fall: 3 });
  });
  after(async () => {
    await sim.close();
    fx.cleanup();
  });

  test("a frozen run publishes exactly the previous addresses, never an address resolved in that run", async () => {
    const first = await cli();
    assert.equal(first.code, 0, first.stdout);
    assert.deepEqual(fx.apexAddresses(), [a, b].sort());
    const zone = fx.zone();
    point({ "a.edges.test": "0.0.0.0", "b.edges.test": "0.0.0.0", "c.edges.test": "0.0.0.0" });
    const frozen = await cli();
    assert.equal(frozen.code, 0, frozen.stdout);
    assert.match(frozen.stdout, /guard: frozen/);
    assert.deepEqual(fx.apexAddresses(), [a, b].sort());
    assert.doesNotMatch(fx.zone()!, /0\.0\.0\.0/);
    assert.equal(fx.zone(), zone, "not even rewritten");
  });

  test("an edge kept by fall is published with the address it passed with, not a new one that fails", async () => {
    point({ "a.edges.test": a, "b.edges.test": b, "c.edges.test": c });
    assert.equal((await cli()).code, 0);
    point({ "a.edges.test": a, "b.edges.test": moved, "c.edges.test": c });
    const r = await cli();
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(fx.liveList(), ["a.edges.test", "b.edges.test"], "b is kept: fall 3");
    assert.deepEqual(fx.apexAddresses(), [a, b].sort(), `never ${moved}, which b now resolves to and which fails`);
    assert.match(r.stdout, new RegExp(`address ${moved.replaceAll(".", "\\.")} of edge b\\.edges\\.test failed this run`));
  });
});

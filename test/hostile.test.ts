import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { type Socket, createSocket } from "node:dgram";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseConfig } from "../src/config/load.js";
import { clampFuture } from "../src/core/clock.js";
import { emptyEdge, emptyState } from "../src/core/state.js";
import { resolveHosts } from "../src/run/resolve.js";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";
import { CLI, NODE_FLAGS, type Ran, requireTool, run } from "./support/tools.js";

const lines = (r: Ran) => `${r.stdout}${r.stderr}`.split("\n");

describe("hostile inputs: a clear error, in bounded time, nothing lost", () => {
  const [e1, e2] = loopbackAddresses(2, 1760) as [string, string];
  let sim: EdgeSim;
  let fx: Fixture;
  before(async () => {
    sim = await EdgeSim.start({ addresses: [e1, e2], body: TEST_OBJECT });
    fx = new Fixture({ edges: [e1, e2], port: sim.port });
    assert.equal((await fx.run()).code, 0);
  });
  after(async () => {
    await sim.close();
    fx.cleanup();
  });
  const timed = async (...args: string[]) => {
    const start = Date.now();
    const r = await fx.run(...args);
    return { ...r, seconds: (Date.now() - start) / 1000 };
  };

  test("named_dir and lockfile under /proc: an error naming the folder, in seconds, never a spin", async () => {
    const zone = fx.zone();
    for (const [key, value, message] of [
      ["named_dir", "/proc/self/named", /\/proc\/self\/named: cannot create the folder/],
      ["lockfile", "/proc/self/locks/edgemanage.lock", /\/proc\/self\/locks: cannot create the folder/],
    ] as const) {
      fx.writeConfig({ [key]: value });
      const r = await timed();
      assert.equal(r.code, 1, `${key}: ${r.stdout}${r.stderr}`);
      assert.ok(r.seconds < 10, `${key}: ${r.seconds}s`);
      assert.ok(lines(r).some((l) => message.test(l)), `${key}: ${r.stdout}${r.stderr}`);
    }
    fx.writeConfig({});
    assert.equal(fx.zone(), zone);
  });

  test("a FIFO, a folder or bytes that are not UTF-8 as an input file: exit 2 naming the file and the key", async () => {
    const list = fx.path("edges", fx.dnet);
    const include = fx.path("zones", fx.dnet, "example.com.zone");
    const folder = fx.path("zones", fx.dnet, "example.org.zone");
    const cases: [string, () => Promise<unknown>, () => void, RegExp][] = [
      ["a FIFO as the edge list", async () => (rmSync(list), await run("mkfifo", [list])), () => (rmSync(list), fx.setEdges([e1, e2])), new RegExp(`${list}: cannot read it \\(not a regular file\\); fix edgelist_dir`)],
      ["a FIFO as the test object", async () => (rmSync(fx.path("object.edgemanage")), await run("mkfifo", [fx.path("object.edgemanage")])), () => (rmSync(fx.path("object.edgemanage")), writeFileSync(fx.path("object.edgemanage"), TEST_OBJECT)), /object\.edgemanage: cannot read it \(not a regular file\); fix testobject\.local/],
      ["a folder as an include file", async () => mkdirSync(folder), () => rmSync(folder, { recursive: true }), /example\.org\.zone: cannot read it \(it is a folder\); fix the include file in zonetemplate_dir/],
      [
        "Latin-1 bytes in an include file",
        async () => writeFileSync(include, Buffer.concat([Buffer.from("mail\tIN\tA\t192.0.2.25\ntxt\tIN\tTXT\t\"caf"), Buffer.from([0xe9]), Buffer.from("\"\n")])),
        () => fx.setInclude("example.com", "mail\tIN\tA\t192.0.2.25\n@\tIN\tMX\t10 mail\n"),
        /example\.com\.zone: line 2 is not valid UTF-8; save the file as UTF-8/,
      ],
    ];
    for (const [name, make, undo, message] of cases) {
      const zone = fx.zone();
      await make();
      try {
        const r = await timed();
        assert.equal(r.code, 2, `${name}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, message, name);
        assert.equal(r.stderr.trim().split("\n").length, 1, `${name}: one line`);
        assert.ok(r.seconds < 10, `${name}: ${r.seconds}s`);
        assert.equal(fx.zone(), zone, name);
      } finally {
        undo();
      }
    }
  });

  test("a zone path that is a folder, named_dir that is a file: the error names the file", async () => {
    mkdirSync(fx.path("named2"));
    mkdirSync(fx.path("named2", "example.com.zone"));
    fx.writeConfig({ named_dir: "named2" });
    const r = await timed();
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `edgemanage: ${fx.path("named2", "example.com.zone")}: cannot read (EISDIR: illegal operation on a directory, read); fix named_dir\n`);
    writeFileSync(fx.path("named3"), "");
    fx.writeConfig({ named_dir: "named3" });
    const f = await timed();
    assert.equal(f.code, 2);
    assert.match(f.stderr, new RegExp(`^edgemanage: ${fx.path("named3", "example.com.zone")}: cannot read \\(ENOTDIR.*; fix named_dir\n$`));
    fx.writeConfig({});
  });

  test("a state larger than state.max_bytes is refused before it is read, and left in place", async () => {
    const file = fx.path("state", `${fx.dnet}.state`);
    const saved = fx.state();
    const huge = fx.path("huge.state");
    writeFileSync(huge, "");
    truncateSync(huge, 65 * 1024 * 1024);
    fx.writeConfig({ statefile: "huge.state" });
    const r = await timed();
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, new RegExp(`${huge}: 68157440 bytes, more than state\\.max_bytes \\(20971520\\): refused before parsing`));
    assert.ok(r.seconds < 10);
    fx.writeConfig({});
    assert.deepEqual(fx.state(), saved, `${file} untouched`);
  });

  test("thousands of unknown keys: one warning line, summarised, under 64 KiB", async () => {
    const config = readFileSync(fx.configPath, "utf8");
    writeFileSync(fx.configPath, `${config}${Array.from({ length: 20_000 }, (_, i) => `unknown_key_${i}: ${i}`).join("\n")}\n`);
    const r = await timed();
    assert.equal(r.code, 0, r.stderr);
    assert.ok(lines(r).every((l) => Buffer.byteLength(l) < 64 * 1024));
    assert.ok(lines(r).some((l) => l.includes('"count":20000') && l.includes("configuration has keys this version does not know")));
    fx.writeConfig({});
  });

  test("a log reader that is gone (stdout a pipe closed at its far end): the run goes on, zones and state written", async () => {
    const before = fx.state().lastRun;
    const zone = fx.path("named", "example.com.zone");
    rmSync(zone);
    const child = spawn(process.execPath, [...NODE_FLAGS, CLI, "-A", fx.dnet, "-c", fx.configPath, "--force"], { stdio: ["ignore", "pipe", "pipe"] });
    // Nobody reads the JSON lines: every write to them fails with EPIPE.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c));
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    assert.equal(code, 0, stderr);
    assert.equal(stderr, "");
    assert.ok(fx.state().lastRun! > before!, "the state was saved");
    assert.match(readFileSync(zone, "utf8"), /managed by edgemanage network=/);
  });
  test("SIGTERM ends a run within 2 s, even while a hook runs", async () => {
    fx.writeConfig({ commands: { run_before: ["sleep 30"], run_after: null, run_after_changes: null } });
    const child = spawn(process.execPath, [...NODE_FLAGS, CLI, "-A", fx.dnet, "-c", fx.configPath, "--force"], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 1500));
    const start = Date.now();
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    const seconds = (Date.now() - start) / 1000;
    assert.ok(seconds < 2.5, `${seconds}s`);
    assert.equal(code, 143);
    fx.writeConfig({});
  });
});

describe("numbers that make no sense are refused or made whole", () => {
  const base = { testobject: { host: "www.example.org", uri: "/o", local: "o" }, dns: { ns_records: ["ns1.example.net."], soa_nameserver: "ns1.example.net.", soa_mailbox: "h.example.net." }, healthdata_store: "h", edgelist_dir: "e", goodenough: 0.5, statefile: "s", lockfile: "l", zonetemplate_dir: "z", edge_count: 2, named_dir: "n" };
  const parse = (over: Record<string, unknown>) => parseConfig(JSON.stringify({ ...base, ...over }), "edgemanage.yaml");
  test("timeouts are whole milliseconds (AbortSignal.timeout needs them)", () => {
    const { config } = parse({ timeout: 2.0105, run_deadline: 10.00049, metrics: { push_timeout: 0.0001 } });
    assert.equal(config.timeout, 2.011);
    assert.equal(config.run_deadline, 10);
    assert.equal(config.metrics.push_timeout, 0.001);
  });
  test("goodenough at or above timeout is refused: a failed fetch would pass", () => {
    assert.throws(() => parse({ goodenough: 2, timeout: 2 }), /edgemanage\.yaml: invalid configuration: goodenough: must be less than timeout \(2\)/);
  });
  test("a CR/LF or a space in testobject.host is refused", () => {
    for (const host of ["www.example.org\r\nX-Evil: 1", "www example.org", ""]) assert.throws(() => parse({ testobject: { ...base.testobject, host } }), /testobject\.host: expected the host name of the test object/);
    assert.equal(parse({ testobject: { ...base.testobject, host: "www.example.org:8080" } }).config.testobject.host, "www.example.org:8080");
  });
  test("testobject.uri and user_agent go into the request as they are: a space or a CR/LF is refused", () => {
    for (const uri of ["/a b", "/o\r\nX-Evil: 1", "o", "/\u00e9"]) assert.throws(() => parse({ testobject: { ...base.testobject, uri } }), /testobject\.uri: expected a path starting with '\/', without spaces or control characters/);
    for (const user_agent of ["edgemanage\r\nX-Evil: 1", "tab\there"]) assert.throws(() => parse({ user_agent }), /user_agent: expected printable ASCII only/);
    const { config } = parse({ testobject: { ...base.testobject, uri: "/deflect%20logo.png?v=1&x=%7E" }, user_agent: "edgemanage (probe; +https://example.org)" });
    assert.equal(config.testobject.uri, "/deflect%20logo.png?v=1&x=%7E");
    assert.equal(config.user_agent, "edgemanage (probe; +https://example.org)");
  });
  test("a state from the future is brought back to now", () => {
    const now = 1_800_000_000;
    const state = { ...emptyState("n"), lastRun: now + 3600, substitutions: [now + 60, now - 60], edges: { a: { ...emptyEdge(), samples: { t: [now + 10], v: [0.1] } } } };
    const { state: s, clamped } = clampFuture(state, now);
    assert.equal(clamped, 3);
    assert.equal(s.lastRun, now);
    assert.deepEqual(s.substitutions, [now, now - 60]);
    assert.deepEqual(s.edges.a!.samples, { t: [now], v: [0.1] });
    assert.equal(clampFuture(s, now).clamped, 0);
  });
});

describe("name lookups are bounded by the run", () => {
  test("a lookup that never answers fails its name only, within the bound; addresses that cannot be served are never used", async () => {
    const never = () => new Promise<string[]>(() => {});
    const table: Record<string, string[]> = { "zero.test": ["0.0.0.0"], "dup.test": ["192.0.2.1"], "ok.test": ["192.0.2.7", "::ffff:192.0.2.8"] };
    const look = (h: string) => (h === "silent.test" ? never() : Promise.resolve(table[h] ?? []));
    const start = Date.now();
    const r = await resolveHosts(["192.0.2.1", "silent.test", "zero.test", "dup.test", "ok.test"], 300, new AbortController().signal, look);
    assert.ok(Date.now() - start < 1000);
    assert.deepEqual([...r.addresses], [["192.0.2.1", ["192.0.2.1"]], ["ok.test", ["192.0.2.7"]]]);
    assert.deepEqual(Object.fromEntries(r.failures), {
      "silent.test": "no answer from the resolver within 0.3s",
      "zero.test": "resolves only to addresses that cannot be served: 0.0.0.0 (0.0.0.0/8 is 'this network', not a host)",
      "dup.test": "resolves to 192.0.2.1, already edge 192.0.2.1: counted once",
    });
  });

  test("a silent resolver: 40 host-name edges fail in time, IP-literal edges are probed and published, /etc/hosts still works", { timeout: 60_000 }, async () => {
    requireTool("unshare", "util-linux");
    const [lit, named] = loopbackAddresses(2, 1770) as [string, string];
    const sim = await EdgeSim.start({ addresses: [lit, named], body: TEST_OBJECT });
    // A resolver that reads every question and never answers, on a loopback address of its own
    // (resolv.conf has no port: another copy of the suite may hold port 53 of the address tried first).
    let dns: Socket | null = null;
    let resolver = "";
    for (let attempt = 0; !dns; attempt++) {
      const address = `127.53.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
      const socket = createSocket("udp4");
      const bound = await new Promise<boolean>((r) => {
        socket.once("error", () => r(false));
        socket.bind(53, address, () => r(true));
      });
      if (bound) [dns, resolver] = [socket, address];
      else if (attempt >= 10) throw new Error("no loopback address with a free port 53");
    }
    const dir = mkdtempSync(join(tmpdir(), "em-resolv-"));
    writeFileSync(join(dir, "resolv.conf"), `nameserver ${resolver}\noptions timeout:5 attempts:3\n`);
    writeFileSync(join(dir, "hosts"), `127.0.0.1 localhost\n${named} named.edges.test\n`);
    chmodSync(dir, 0o755);
    const names = Array.from({ length: 40 }, (_, i) => `edge${i}.silent.test`);
    const fx = new Fixture({ edges: [lit, "named.edges.test", ...names], port: sim.port });
    fx.writeConfig({ edge_count: 2, timeout: 2, run_deadline: 5, guard: { max_failing_fraction: 1 } });
    try {
      const start = Date.now();
      const r = await run("unshare", ["--mount", "--propagation", "private", "sh", "-c", 'mount --bind "$0/resolv.conf" /etc/resolv.conf && mount --bind "$0/hosts" /etc/hosts && exec "$@"', dir, process.execPath, CLI, "-A", fx.dnet, "-c", fx.configPath, "--force"]);
      const seconds = (Date.now() - start) / 1000;
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(seconds < 9, `the run took ${seconds}s (run_deadline 5)`);
      assert.deepEqual(fx.apexAddresses(), [lit, named].sort(), "the literal and the /etc/hosts name are published");
      assert.ok(lines(r).some((l) => /edge edge0\.silent\.test does not resolve: it fails this run/.test(l) && /no answer from the resolver within/.test(l)), r.stdout);
    } finally {
      dns.close();
      await sim.close();
      fx.cleanup();
    }
  });
});

import assert from "node:assert/strict";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { parseConfig, settingsFor } from "../src/config/load.js";
import { emptyState } from "../src/core/state.js";
import { checkDnssec } from "../src/ops/dnssec-check.js";
import { planAdopted } from "../src/run/plan.js";
import { DEFAULT_TEMPLATE_URL } from "../src/zone/render.js";
import { earliestExpiry, parseKeyFileName, signReason, signzoneTime } from "../src/zone/dnssec.js";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";
import { Named } from "./support/named.js";
import { checkZone, requireTool, run, runCli } from "./support/tools.js";

const DAY = 86_400;

describe("DNSSEC facts (pure)", () => {
  test("the earliest RRSIG expiration of a signed zone, on one line or split after '('", () => {
    const text = "a. 300 IN RRSIG A 13 2 300 (\n\t\t20261209191606 20261125191606 44408 a.\n\t\tsig== )\na. 300 IN RRSIG NS 13 2 300 20261207000000 20261125191606 44408 a. sig==\n";
    assert.equal(earliestExpiry(text), Date.UTC(2026, 11, 7) / 1000);
    assert.equal(earliestExpiry("a. 300 IN A 192.0.2.1\n"), null);
    assert.equal(signzoneTime(Date.UTC(2026, 0, 2, 3, 4, 5) / 1000), "20260102030405");
  });
  test("key file names: BIND's, and a Secret's with '_' for '+'", () => {
    assert.deepEqual(parseKeyFileName("Kexample.com.+013+04408.key"), { zone: "example.com", algorithm: 13, id: 4408, ext: "key", canonical: "Kexample.com.+013+04408.key" });
    assert.equal(parseKeyFileName("Kexample.com._013_44408.private")!.canonical, "Kexample.com.+013+44408.private");
    assert.equal(parseKeyFileName("example.com.key"), null);
  });
  const now = 1_800_000_000;
  const rec = { hash: "h", serial: 1, canary: null };
  const facts = { keys: "k1", resignBefore: 4 };
  const cases: [string, Parameters<typeof signReason>[0], typeof facts | null, RegExp | null][] = [
    ["DNSSEC off: never", { ...rec, signedUntil: now }, null, null],
    ["never signed: signed now", rec, facts, /^DNSSEC enabled/],
    ["keys changed", { ...rec, signedUntil: now + 10 * DAY, keys: "k0" }, facts, /^DNSSEC keys changed/],
    ["signatures expire within resign_before", { ...rec, signedUntil: now + 3 * DAY, keys: "k1" }, facts, /^signatures expire in 3\.0 days \(dnssec\.resign_before 4\)/],
    ["signatures good for longer: nothing to do", { ...rec, signedUntil: now + 5 * DAY, keys: "k1" }, facts, null],
  ];
  for (const [name, prev, f, want] of cases) {
    test(`sign again? ${name}`, () => {
      const got = signReason(prev, f, now);
      if (want === null) assert.equal(got, null);
      else assert.match(got ?? "", want);
    });
  }
});

describe("several vantage points with DNSSEC (pure)", () => {
  test("a vantage adopting another's decision writes no zone: every bind pulls the decider's signed zones", () => {
    const config = parseConfig("testobject: {host: h, uri: /o, local: o}\ndns: {ns_records: [ns1.example.net.], soa_nameserver: ns1.example.net., soa_mailbox: h.example.net.}\nhealthdata_store: h\nedgelist_dir: e\ngoodenough: 0.5\nstatefile: s\nlockfile: l\nzonetemplate_dir: z\nedge_count: 1\nnamed_dir: n\nstate: {backend: s3, bucket: bkt}\nzone_transport: s3\nvantage: {name: b, peers: [a, b]}\ndnssec: {enabled: true, keys: k}\n", "edgemanage.yaml").config;
    const s = settingsFor(config, "/etc/edgemanage/edgemanage.yaml", "net");
    const committed = { ...emptyState("net"), lastRun: 1_800_000_000, lastLive: ["192.0.2.1"], decidedBy: "a", zones: { "example.com": { hash: "h", serial: 7, canary: null, addresses: ["192.0.2.1"], signedUntil: 1_801_000_000 } } };
    const inputs = { edges: ["192.0.2.1"], includes: new Map([["example.com", ""]]), canaries: new Map(), testObject: Buffer.alloc(0), template: readFileSync(DEFAULT_TEMPLATE_URL, "utf8") };
    const base = { s, inputs, current: { zones: new Map([["example.com", null]]), liveList: null, stamp: null }, source: "test", now: 1_800_000_010, previous: committed, forceUpdate: false, adopt: false, vantageLines: [], known: null, sign: new Map([["example.com", { keys: "k", resignBefore: 4 }]]) };
    const plan = planAdopted(base, committed);
    assert.deepEqual(plan.zones.map((z) => [z.write, z.reason]), [[false, "signed by vantage a: served from the bucket"]]);
    // Without DNSSEC the same adoption renders and writes the zone (identical bytes, unsigned).
    assert.equal(planAdopted({ ...base, sign: null }, committed).zones[0]!.write, true);
  });
});

describe("check dnssec (pure)", () => {
  const now = 1_800_000_000;
  const t = { warning: 4, critical: 2 };
  const cases: [string, Record<string, { expires: number | null; validated: boolean; detail: string }>, number, RegExp][] = [
    ["validates, 10 days left: OK", { "a.org": { expires: now + 10 * DAY, validated: true, detail: "" } }, 0, /all 1 zone\(s\) validate/],
    ["3 days left: WARNING", { "a.org": { expires: now + 3 * DAY, validated: true, detail: "" } }, 1, /a\.org: signatures expire in 3 days/],
    ["1.5 days left: CRITICAL", { "a.org": { expires: now + 1.5 * DAY, validated: true, detail: "" } }, 2, /expire in 1\.5 days/],
    ["does not validate: CRITICAL", { "a.org": { expires: now + 10 * DAY, validated: false, detail: "resolution failed: broken trust chain" } }, 2, /a\.org: does not validate \(resolution failed: broken trust chain\)/],
    ["served unsigned: CRITICAL", { "a.org": { expires: null, validated: false, detail: "no signature" } }, 2, /served without signatures/],
  ];
  for (const [name, answers, status, summary] of cases) {
    test(name, () => {
      const r = checkDnssec(new Map(Object.entries(answers)), now, t);
      assert.equal(r.status, status);
      assert.match(r.summary, summary);
    });
  }
  test("no signed zone: UNKNOWN", () => assert.equal(checkDnssec(new Map(), now, t).status, 3));
});

describe("DNSSEC end to end: keys made, zones signed in the run, served by named, validated by delv", () => {
  const edges = loopbackAddresses(2, 2300);
  let sim: EdgeSim;
  let fx: Fixture;
  let named: Named;
  const zones = ["example.com", "example.org"];
  const cli = (...args: string[]) => runCli([...args, "-A", fx.dnet, "-c", fx.configPath]);
  const keyFiles = () => readdirSync(fx.path("keys")).sort();

  /** delv with the zone's DS (from `edgemanage dnssec ds`) as its only trust anchor. */
  async function delv(zone: string, name: string, type: string): Promise<string> {
    const ds = (await cli("dnssec", "ds")).stdout.split("\n").filter((l) => l.startsWith(`${zone}. `));
    const anchors = ds.map((l) => {
      const [, , , tag, alg, digestType, digest] = l.split(/\s+/);
      return `"${zone}." static-ds ${tag} ${alg} ${digestType} "${digest}";`;
    });
    const file = fx.path(`anchors-${zone}.conf`);
    writeFileSync(file, `trust-anchors {\n${anchors.join("\n")}\n};\n`);
    const r = await run("delv", ["@127.0.0.1", "-p", String(named.port), "-a", file, `+root=${zone}`, name, type]);
    return r.stdout + r.stderr;
  }
  const rrsigKeyTags = (zone: string) => new Set([...(fx.zone(zone) ?? "").matchAll(/RRSIG\s+A\s+13\s+\d+\s+\d+\s+\(?\s*\d{14}\s+\d{14}\s+(\d+)/g)].map((m) => Number(m[1])));

  before(async () => {
    for (const [t, p] of [["dnssec-signzone", "bind9-utils"], ["dnssec-keygen", "bind9-utils"], ["delv", "bind9-dnsutils"], ["named", "bind9"]] as const) requireTool(t, p);
    sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
    fx = new Fixture({ edges, port: sim.port, zones: { "example.com": "mail\tIN\tA\t192.0.2.25\n", "example.org": "" } });
    fx.writeConfig({ dnssec: { enabled: true, keys: "keys" }, metrics: { textfile: "metrics.prom" } });
  });
  after(async () => {
    await named?.stop();
    await sim.close();
    fx.cleanup();
  });

  test("without keys the run refuses (exit 2) naming the folder and the fix; nothing is written", async () => {
    const r = await fx.run();
    assert.equal(r.code, 2);
    assert.match(r.stderr, /dnssec\.keys: cannot read the folder .*keys.*edgemanage dnssec keygen -A testnet/);
    assert.equal(fx.zone(), null);
  });

  test("dnssec keygen makes a KSK and a ZSK per zone and prints the Secret's command with '_' for '+'", async () => {
    const r = await cli("dnssec", "keygen");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(keyFiles().length, 8);
    assert.match(r.stdout, /^created Kexample\.com\.\+013\+\d{5} \(example\.com KSK\)$/m);
    assert.match(r.stdout, /--from-file=Kexample\.org\._013_\d{5}\.private=.*\/keys\/Kexample\.org\.\+013\+\d{5}\.private/);
    const again = await cli("dnssec", "keygen");
    assert.match(again.stdout, /kept the existing example\.com KSK/);
    assert.equal(keyFiles().length, 8);
  });

  test("a run signs both zones: bind's checkers accept them, named serves them, delv validates the apex A records", async () => {
    const plan = await runCli(["-A", fx.dnet, "-c", fx.configPath, "-n"]);
    assert.match(plan.stdout, /example\.com: would write .* \(new zone; signed; signatures valid until \d{4}-/);
    const r = await fx.run();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const z of zones) {
      const text = fx.zone(z)!;
      assert.match(text, /^; managed by edgemanage network=testnet\n/);
      assert.match(text, /\bDNSKEY\s+257 3 13 /);
      assert.equal((await checkZone(z, fx.path("named", `${z}.zone`))).code, 0);
      assert.equal((await run("dnssec-verify", ["-q", "-o", z, "--", fx.path("named", `${z}.zone`)])).code, 0);
    }
    assert.ok(!JSON.stringify(fx.state()).includes("PrivateKey"), "no key material in the state");
    assert.deepEqual(readdirSync(process.cwd()).filter((f) => f.startsWith("dsset-")), [], "nothing left in the working directory");
    assert.ok(!r.stdout.includes("PrivateKey"));
    named = await Named.start(zones.map((z) => ({ name: z, file: fx.path("named", `${z}.zone`) })));
    for (const z of zones) {
      const out = await delv(z, z, "A");
      assert.match(out, /; fully validated/, out);
      assert.match(out, new RegExp(`^${z.replace(".", "\\.")}\\.\\s+\\d+\\s+IN\\s+A\\s+127\\.`, "m"));
    }
    const until = fx.state().zones["example.com"]!.signedUntil!;
    assert.match(readFileSync(fx.path("metrics.prom"), "utf8"), new RegExp(`^edgemanage_dnssec_signature_expiry_seconds\\{zone="example\\.com",dnet="testnet"\\} ${until}$`, "m"));
    // The Nagios check against what named serves: OK with the defaults, CRITICAL when 14 days is too close.
    const ok = await runCli(["check", "dnssec", "-A", fx.dnet, "--config", fx.configPath, "--server", `127.0.0.1:${named.port}`]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^EDGEMANAGE DNSSEC OK - testnet: all 2 zone\(s\) validate, signatures good for more than 4 days \| 'example\.com_days'=1[34](\.\d)?;4;2;;/);
    const tight = await runCli(["check", "dnssec", "-A", fx.dnet, "--config", fx.configPath, "--server", `127.0.0.1:${named.port}`, "-w", "20", "-c", "15"]);
    assert.equal(tight.code, 2);
    assert.match(tight.stdout, /^EDGEMANAGE DNSSEC CRITICAL - testnet: example\.com: signatures expire in 1[34](\.\d)? days/);
  });

  test("a run that changes nothing does not sign again", async () => {
    const before = fx.zone();
    assert.equal((await fx.run()).code, 0);
    assert.equal(fx.zone(), before);
  });

  test("ZSK rotation: a new ZSK added, the old one inactive — both published, only the new one signs, delv still validates", async () => {
    const oldZsk = keyFiles().find((f) => f.startsWith("Kexample.com.") && f.endsWith(".key") && readFileSync(fx.path("keys", f), "utf8").includes("DNSKEY 256"))!;
    const oldTag = parseKeyFileName(oldZsk)!.id;
    assert.ok(rrsigKeyTags("example.com").has(oldTag));
    await run("dnssec-keygen", ["-q", "-K", fx.path("keys"), "-a", "ECDSAP256SHA256", "--", "example.com"]);
    assert.equal((await run("dnssec-settime", ["-I", "now", "-D", "+30d", "--", fx.path("keys", oldZsk)])).code, 0);
    const r = await fx.run();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /zone example\.com written: DNSSEC keys changed/);
    const text = fx.zone("example.com")!;
    assert.equal([...text.matchAll(/\bDNSKEY\s+256 3 13 /g)].length, 2, "the old ZSK stays published until its delete time");
    const tags = rrsigKeyTags("example.com");
    assert.ok(!tags.has(oldTag), `signed by ${[...tags].join(",")}, not by the inactive ${oldTag}`);
    assert.equal(tags.size, 1);
    await run("rndc", named.rndc("reload").split(" ").slice(1));
    const out = await delv("example.com", "example.com", "A");
    assert.match(out, /; fully validated/, out);
  });

  test("a missing private key refuses the run (exit 2) naming the file; the signed zones stay as they are", async () => {
    const before = fx.zone("example.org");
    const key = keyFiles().find((f) => f.startsWith("Kexample.org.") && f.endsWith(".private"))!;
    const saved = readFileSync(fx.path("keys", key));
    const { rmSync } = await import("node:fs");
    rmSync(fx.path("keys", key));
    try {
      fx.setInclude("example.org", "@\tIN\tTXT\t\"changed\"\n");
      const r = await fx.run();
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`dnssec\\.keys: .*${key.replace(".private", ".key").replace(/[.+]/g, "\\$&")} has no private key beside it`));
      assert.equal(fx.zone("example.org"), before);
    } finally {
      writeFileSync(fx.path("keys", key), saved);
    }
  });

  test("DNSSEC turned off: a zone signed before is not published unsigned unless allow_unsigned", async () => {
    fx.writeConfig({ dnssec: { enabled: false, keys: "keys" } });
    const before = fx.zone("example.org");
    const r = await fx.run();
    assert.equal(r.code, 1);
    assert.match(r.stdout, /zone example\.org refused: the zone was signed before: published unsigned, it fails validation/);
    assert.equal(fx.zone("example.org"), before);
    fx.writeConfig({ dnssec: { enabled: true, keys: "keys" }, metrics: { textfile: "metrics.prom" } });
  });

  test("a zone whose signatures are old enough is signed again by a run that changed nothing else", async () => {
    assert.equal((await fx.run()).code, 0);
    const first = fx.state().zones["example.com"]!;
    // 11 days later (validity 14, resign_before 4): the run's clock, not the machine's.
    const later = Math.floor(Date.now() / 1000) + 11 * DAY;
    const r = await runCli(["-A", fx.dnet, "-c", fx.configPath, "--force"], { EDGEMANAGE_NOW: String(later) });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /zone example\.com written: signatures expire in 3\.0 days \(dnssec\.resign_before 4\): signed again/);
    const second = fx.state().zones["example.com"]!;
    assert.ok(second.serial > first.serial, "a new serial, so that secondaries transfer the new signatures");
    // Signed by the machine's clock (resolvers check signatures against real time), for 14 days.
    assert.ok(second.signedUntil! >= Math.floor(Date.now() / 1000) + 14 * DAY - 120);
    assert.ok(second.signedUntil! > first.signedUntil!);
  });
});

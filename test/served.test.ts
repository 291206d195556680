import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { emptyState, type NetworkState } from "../src/core/state.js";
import { type Served, soaQuery, soaSerial } from "../src/dns/soa.js";
import { DEFAULT_THRESHOLDS, formatCheck } from "../src/ops/checks.js";
import { checkServed } from "../src/ops/served.js";
import { parseServer } from "../src/util/server.js";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";
import { Named } from "./support/named.js";
import { runCli } from "./support/tools.js";

const NOW = 1_800_000_000;
const state = (zones: Record<string, { serial: number; written: number }>): NetworkState => ({
  ...emptyState("net"),
  lastRun: NOW,
  zones: Object.fromEntries(Object.entries(zones).map(([z, r]) => [z, { hash: "h", canary: null, ...r }])),
});

describe("check served: is what was decided what is served", () => {
  const t = DEFAULT_THRESHOLDS.served;
  const one = state({ "example.com": { serial: 101, written: NOW - 100 } });
  const cases: [string, NetworkState, [string, Served][], 0 | 1 | 2 | 3, RegExp][] = [
    ["served at the serial written", one, [["example.com", { serial: 101 }]], 0, /^EDGEMANAGE SERVED OK - net: all 1 zone\(s\) served at the serial written \| 'example\.com_lag'=0s;30;300;0;$/],
    ["older, within -w of the write: a reload is on its way", state({ "example.com": { serial: 101, written: NOW - 10 } }), [["example.com", { serial: 100 }]], 0, /OK - net: example\.com: serial 101 written 10s ago, not served yet/],
    ["older, past -w", one, [["example.com", { serial: 100 }]], 1, /WARNING - net: example\.com: serves serial 100, not the 101 written 100s ago/],
    ["older, past -c", state({ "example.com": { serial: 101, written: NOW - 400 } }), [["example.com", { serial: 100 }]], 2, /CRITICAL - net: example\.com: serves serial 100, not the 101 written 400s ago/],
    ["newer than written: another writer", one, [["example.com", { serial: 102 }]], 1, /WARNING .*newer than the 101 written \(another writer\?\)/],
    ["no answer: UNKNOWN with the reason", one, [["example.com", { error: "no answer from 127.0.0.1:9 within 3000 ms" }]], 3, /UNKNOWN - net: example\.com: no answer from 127\.0\.0\.1:9 within 3000 ms/],
    ["CRITICAL outranks UNKNOWN", state({ a: { serial: 2, written: NOW - 999 }, b: { serial: 2, written: NOW } }), [["a", { serial: 1 }], ["b", { error: "refused" }]], 2, /CRITICAL/],
    ["no zone written yet", emptyState("net"), [], 3, /UNKNOWN - net: the state records no zone written/],
  ];
  for (const [name, st, served, status, line] of cases) {
    test(name, () => {
      const r = checkServed(st, new Map(served), NOW, t);
      assert.equal(r.status, status);
      assert.match(formatCheck("served", "net", r).trimEnd(), line);
    });
  }
});

describe("the SOA question and answer, as bytes", () => {
  const answer = (mutate: (b: Buffer) => Buffer = (b) => b) => {
    const q = soaQuery("example.com", 0x1234);
    const soa = Buffer.concat([Buffer.from([0xc0, 12, 0, 6, 0, 1, 0, 0, 0, 60, 0, 29]), Buffer.from([2, 110, 115, 0xc0, 12]), Buffer.from([1, 104, 0xc0, 12]), Buffer.from([0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4]).subarray(0, 20)]);
    const msg = Buffer.concat([q, soa]);
    msg.writeUInt16BE(0x8400, 2);
    msg.writeUInt16BE(1, 6);
    return mutate(msg);
  };
  test("the serial of a well-formed answer", () => assert.equal(soaSerial(answer(), 0x1234), 7));
  const bad: [string, (b: Buffer) => Buffer, RegExp][] = [
    ["another question's id", (b) => b, /does not match/],
    ["REFUSED", (b) => (b.writeUInt16BE(0x8405, 2), b), /server answered REFUSED/],
    ["not authoritative", (b) => (b.writeUInt16BE(0x8000, 2), b), /not authoritative/],
    ["truncated", (b) => b.subarray(0, b.length - 18), /truncated/],
    ["a name that points at itself forever", (b) => Buffer.concat([b.subarray(0, 12), Buffer.from(Array(300).fill(1).flatMap(() => [1, 97]))]), /name too long|truncated/],
  ];
  for (const [name, mutate, message] of bad) test(name, () => assert.throws(() => soaSerial(answer(mutate), name === "another question's id" ? 0x9999 : 0x1234), message));
  test("servers are HOST[:PORT]", () => {
    assert.deepEqual(parseServer("bind.dns.svc"), { host: "bind.dns.svc", port: 53 });
    assert.deepEqual(parseServer("127.0.0.1:5353"), { host: "127.0.0.1", port: 5353 });
    assert.deepEqual(parseServer("[::1]:53"), { host: "::1", port: 53 });
    assert.equal(parseServer("host\r\n:53"), null);
    assert.equal(parseServer("host:70000"), null);
  });
});

describe("edgemanage check served against a real named", () => {
  const [e1, e2, e3] = loopbackAddresses(3, 1740) as [string, string, string];
  let sim: EdgeSim;
  let fx: Fixture;
  let named: Named;
  const check = (...args: string[]) => runCli(["check", "served", "-A", fx.dnet, "--config", fx.configPath, "--server", `127.0.0.1:${named.port}`, ...args]);
  before(async () => {
    sim = await EdgeSim.start({ addresses: [e1, e2, e3], body: TEST_OBJECT });
    await sim.set(e3, { kind: "ok", delayMs: 200 });
    fx = new Fixture({ edges: [e1, e2, e3], port: sim.port, zones: { "example.com": "mail\tIN\tA\t192.0.2.25\n" } });
    fx.writeConfig({ dns: { ns_records: ["ns1.example.net."], soa_nameserver: "ns1.example.net.", soa_mailbox: "hostmaster.example.net.", rotate_zones: [] } });
    assert.equal((await fx.run()).code, 0);
    named = await Named.start([{ name: "example.com", file: fx.path("named", "example.com.zone") }]);
  });
  after(async () => {
    await named?.stop();
    await sim.close();
    fx.cleanup();
  });

  test("OK when named serves the serial the run wrote; WARNING, then CRITICAL, while it serves an older one; UNKNOWN when it does not answer", async () => {
    const ok = await check();
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^EDGEMANAGE SERVED OK - testnet: all 1 zone\(s\) served at the serial written/);
    await sim.set(e1, { kind: "refuse" });
    assert.equal((await fx.run()).code, 0, "a new live set, a new serial, and named not reloaded");
    const lagging = await check("-w", "0");
    assert.equal(lagging.code, 1, lagging.stdout);
    assert.match(lagging.stdout, /^EDGEMANAGE SERVED WARNING - testnet: example\.com: serves serial \d+, not the \d+ written \d+s ago/);
    assert.equal((await check("-w", "0", "-c", "0")).code, 2);
    await named.stop();
    const down = await check();
    assert.equal(down.code, 3, down.stdout);
    assert.match(down.stdout, /^EDGEMANAGE SERVED UNKNOWN - testnet: example\.com: no answer from 127\.0\.0\.1:\d+ within 3000 ms$/m);
  });

  test("metrics.dns_server: every run exports the served serial beside the written one", async () => {
    named = await Named.start([{ name: "example.com", file: fx.path("named", "example.com.zone") }]);
    fx.writeConfig({ dns: { ns_records: ["ns1.example.net."], soa_nameserver: "ns1.example.net.", soa_mailbox: "hostmaster.example.net.", rotate_zones: [] }, metrics: { textfile: fx.path("metrics.prom"), dns_server: `127.0.0.1:${named.port}` } });
    assert.equal((await fx.run()).code, 0);
    const text = readFileSync(fx.path("metrics.prom"), "utf8");
    const written = /^edgemanage_zone_written_serial\{zone="example\.com",dnet="testnet"\} (\d+)$/m.exec(text)?.[1];
    const served = /^edgemanage_zone_served_serial\{zone="example\.com",dnet="testnet"\} (\d+)$/m.exec(text)?.[1];
    assert.ok(written && served, text);
    assert.equal(served, written, "named loaded the file at start-up");
  });
});

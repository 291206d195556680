import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { CanaryChoice } from "../src/core/decide.js";
import { lineDiff } from "../src/zone/diff.js";
import { DEFAULT_TEMPLATE_URL, type ZonePlanInput, nextSerial, planZones, renderZone, soaSerialOf, zoneAddresses } from "../src/zone/render.js";
import { checkZone } from "./support/tools.js";

const template = readFileSync(DEFAULT_TEMPLATE_URL, "utf8");
const dns = { ns_records: ["ns1.example.net.", "ns2.example.net."], soa_nameserver: "ns0.example.net.", soa_mailbox: "hostmaster.example.net.", rotate_zones: ["www", "cdn"], ttl: 300 };
const dir = mkdtempSync(join(tmpdir(), "em-zone-"));

/** A plan's input from a live set, its addresses and canaries; every zone file on disk holds `onDisk` unless `missing`. */
interface Over extends Partial<ZonePlanInput> {
  live?: string[];
  addressesOf?: Map<string, string[]>;
  canaryFor?: Map<string, CanaryChoice>;
  missing?: Set<string>;
  onDisk?: string | null;
}

function base(over: Over = {}): ZonePlanInput {
  const { live = ["e1", "e2"], addressesOf = new Map([["e1", ["192.0.2.1"]], ["e2", ["2001:db8::2"]]]), canaryFor = new Map(), missing = new Set(), onDisk = null, ...rest } = over;
  const includes = rest.includes ?? new Map([["example.com", "mail\tIN\tA\t192.0.2.25\n@\tIN\tMX\t10 mail\n"]]);
  const publish = new Map(
    [...includes.keys()].map((d) => {
      const canary = canaryFor.get(d)?.address ?? null;
      return [d, { addresses: zoneAddresses(live, addressesOf, canary), canary }];
    }),
  );
  const current = new Map([...includes.keys()].map((d) => [d, missing.has(d) ? null : onDisk]));
  return { dnet: "net", now: 1_800_000_000, template, dns, includes, publish, previous: {}, forceUpdate: false, current, ...rest };
}

async function assertValid(domain: string, text: string) {
  const file = join(dir, `${domain}.zone`);
  writeFileSync(file, text);
  const r = await checkZone(domain, file);
  assert.equal(r.code, 0, `named-checkzone rejected ${domain}:\n${r.stdout}${r.stderr}\n${text}`);
}

describe("zone rendering", () => {
  test("SOA, NS, A and AAAA at the apex and every rotate_zones label, then the include", async () => {
    const [p] = planZones(base());
    assert.ok(p!.write);
    const lines = p!.text.split("\n");
    assert.ok(lines.includes("@\t300\tIN\tSOA\tns0.example.net. hostmaster.example.net. 1800000000 43200 10800 1209600 300"));
    for (const label of ["@", "www", "cdn"]) {
      assert.ok(lines.includes(`${label}\tIN\tA\t192.0.2.1`), label);
      assert.ok(lines.includes(`${label}\tIN\tAAAA\t2001:db8::2`), label);
    }
    assert.ok(lines.includes("@\tIN\tNS\tns1.example.net."));
    assert.ok(p!.text.trimEnd().endsWith("@\tIN\tMX\t10 mail"));
    await assertValid("example.com", p!.text);
  });

  test("the include is copied verbatim, without HTML escaping", async () => {
    const include = 'txt\tIN\tTXT\t"v=spf1 a:mail.example.com -all & <ok>"\n';
    const text = renderZone(template, { dnet: "n", domain: "example.com", serial: 1, dns, addresses: ["192.0.2.1"], include });
    assert.ok(text.includes(include));
    await assertValid("example.com", text);
  });

  test("a canary takes the place of the live edge that sorts last", async () => {
    const canaryFor = new Map<string, CanaryChoice>([["example.com", { address: "198.51.100.7", reason: "" }]]);
    const [p] = planZones(base({ canaryFor }));
    assert.deepEqual(p!.addresses, ["192.0.2.1", "198.51.100.7"]);
    const [q] = planZones(base({ canaryFor, live: ["e2", "e1"] }));
    assert.deepEqual(q!.addresses, p!.addresses, "whatever the order of the live list");
    assert.equal(p!.record.canary, "198.51.100.7");
    await assertValid("example.com", p!.text);
  });

  test("unresolved hosts are left out; no addresses means no zone", () => {
    const [p] = planZones(base({ addressesOf: new Map([["e2", ["192.0.2.2"]]]) }));
    assert.deepEqual(p!.addresses, ["192.0.2.2"]);
    const [q] = planZones(base({ addressesOf: new Map() }));
    assert.equal(q!.write, false);
    assert.match(q!.reason, /refusing/);
  });
});

describe("canonical zones: same set, same bytes", () => {
  test("records are in numeric order, IPv4 before IPv6, whatever the order of the live list", () => {
    const addressesOf = new Map([
      ["a", ["192.0.2.10"]],
      ["b", ["2001:db8::1"]],
      ["c", ["192.0.2.9"]],
      ["d", ["2001:db8::a:0"]],
      ["e", ["10.0.0.1"]],
      ["f", ["::ffff:192.0.2.1"]],
    ]);
    const one = planZones(base({ live: ["a", "b", "c", "d", "e", "f"], addressesOf }))[0]!;
    const two = planZones(base({ live: ["f", "e", "d", "c", "b", "a"], addressesOf }))[0]!;
    assert.equal(one.text, two.text);
    assert.equal(one.record.hash, two.record.hash);
    assert.deepEqual(one.addresses, ["10.0.0.1", "192.0.2.9", "192.0.2.10", "::ffff:192.0.2.1", "2001:db8::1", "2001:db8::a:0"]);
    assert.deepEqual(one.text.split("\n").filter((l) => l.startsWith("@\tIN\tA")).map((l) => l.split("\t")[3]), one.addresses);
  });

  test("the same set in another order is not rewritten", () => {
    const first = planZones(base())[0]!;
    const [p] = planZones(base({ previous: { "example.com": first.record }, live: ["e2", "e1"], onDisk: first.text }));
    assert.equal(p!.write, false);
    assert.equal(p!.reason, "unchanged");
  });

  test("dns.ttl sets the TTL of the records", async () => {
    const [p] = planZones(base({ dns: { ...dns, ttl: 60 } }));
    assert.ok(p!.text.startsWith("; managed by edgemanage network=net\n$TTL 60\n@\t60\tIN\tSOA\t"));
    await assertValid("example.com", p!.text);
  });
});

describe("zone write decisions", () => {
  const first = planZones(base())[0]!;
  const previous = { "example.com": first.record };
  const onDisk = first.text;
  const cases: [string, Over, boolean, RegExp][] = [
    ["unchanged", { previous }, false, /unchanged/],
    ["zone file edited by hand", { previous, onDisk: `${first.text}evil\tIN\tA\t203.0.113.66\n` }, true, /^zone file differs from the last written \(changed outside edgemanage\)$/],
    ["zone file truncated", { previous, onDisk: first.text.slice(0, 100) }, true, /changed outside edgemanage/],
    ["--force-update", { previous, forceUpdate: true }, true, /force-update/],
    ["file missing on disk", { previous, missing: new Set(["example.com"]) }, true, /missing/],
    ["an edge left", { previous, live: ["e1"] }, true, /^addresses -2001:db8::2$/],
    ["an edge replaced", { previous, live: ["e1", "e3"], addressesOf: new Map([["e1", ["192.0.2.1"]], ["e3", ["192.0.2.3"]]]) }, true, /^addresses \+192\.0\.2\.3 -2001:db8::2$/],
    ["canary changed", { previous, canaryFor: new Map([["example.com", { address: "198.51.100.7", reason: "" }]]) }, true, /^addresses \+198\.51\.100\.7 -2001:db8::2; canary none -> 198\.51\.100\.7$/],
    ["include changed", { previous, includes: new Map([["example.com", "x\tIN\tA\t192.0.2.99\n"]]) }, true, /^include file changed$/],
    ["dns setting changed", { previous, dns: { ...dns, ttl: 120 } }, true, /^template or dns settings changed$/],
    ["state of an older version", { previous: { "example.com": { hash: "old", serial: 1, canary: null } } }, true, /content changed \(state written by an older version\)/],
  ];
  for (const [name, over, write, reason] of cases) {
    test(name, () => {
      const [p] = planZones(base({ onDisk, ...over }));
      assert.equal(p!.write, write);
      assert.match(p!.reason, reason);
    });
  }
  test("a rewritten zone records the hash of its bytes and when it was written", () => {
    const [p] = planZones(base({ previous, onDisk: "edited" }));
    assert.equal(p!.record.file, createHash("sha256").update(p!.text).digest("hex"));
    assert.equal(p!.record.written, 1_800_000_000);
    assert.ok(p!.text.startsWith("; managed by edgemanage network=net\n$TTL 300\n"), "the ownership line comes first");
  });
  test("serial strictly increases, in RFC 1982 serial space", () => {
    assert.equal(nextSerial(1000.7, undefined), 1000);
    assert.equal(nextSerial(1000, 999), 1000);
    assert.equal(nextSerial(1000, 1000), 1001);
    assert.equal(nextSerial(1000, 5000), 5001);
    assert.equal(nextSerial(3_000_000_000, 2 ** 32 - 1), 0, "2^32-1 wraps to 0, which comes after it (bind refuses 2^32)");
    assert.equal(nextSerial(1_800_000_000, 2 ** 32 - 1), 1_800_000_000, "the epoch is within 2^31 after 2^32-1: after it in serial space");
    assert.equal(nextSerial(1_800_000_000, 1_900_000_000), 1_900_000_001, "never back in serial space");
    const [p] = planZones(base({ previous: { "example.com": { ...first.record, serial: 1_800_000_000 } }, forceUpdate: true }));
    assert.equal(p!.record.serial, 1_800_000_001);
  });
});

describe("serials of files taken over", () => {
  const cases: [string, string, number | undefined][] = [
    ["this tool's SOA line", "; managed by edgemanage network=n\n$TTL 300\n@\t300\tIN\tSOA\tns1.example.net. h.example.net. 1800000000 43200 10800 1209600 300\n", 1_800_000_000],
    ["a classic parenthesised SOA", "$TTL 3600\n@ IN SOA ns1.example.net. hostmaster.example.net. (\n  2026112501 ; serial\n  7200 3600 1209600 300 )\n", 2_026_112_501],
    ["no SOA", "www IN A 192.0.2.1\n", undefined],
  ];
  for (const [name, text, serial] of cases) test(name, () => assert.equal(soaSerialOf(text), serial));

  test("a zone file taken over keeps counting up from its own serial (YYYYMMDDnn is above the epoch)", () => {
    const taken = "$TTL 3600\n@ IN SOA ns1.example.net. hostmaster.example.net. 2026112501 7200 3600 1209600 300\n";
    const [p] = planZones(base({ previous: {}, onDisk: taken }));
    assert.equal(p!.record.serial, 2_026_112_502);
  });
});

describe("diff for dry runs", () => {
  test("shows removed and added lines with context", () => {
    const d = lineDiff("a\nb\nc\nd\ne\nf\ng\nh", "a\nb\nc\nd\nX\nf\ng\nh", 1);
    assert.equal(d, "  ...\n  d\n- e\n+ X\n  f\n  ...");
  });
});

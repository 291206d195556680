import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import yaml from "js-yaml";
import { loadSettings, parseConfig } from "../src/config/load.js";
import { parseCanaries, parseEdgeLists } from "../src/config/inputs.js";

const parseEdgeList = (text: string, file: string) => parseEdgeLists([{ file, text }]);
import { OperatorError } from "../src/util/errors.js";
import { unservable, unusualKind } from "../src/core/ip.js";

/** The classic sample configuration (dev/edgemanage.example.yaml of the Python tool), as users have it. */
export const CLASSIC = `---
testobject:
  host: prod.deflect.ca
  port: 443
  proto: https
  uri: /deflectlogo_RED.png
  local: /etc/edgemanage/object.edgemanage
  verify: False
dns:
  ns_records:
    - dns2.example.com.
    - dns1.example.com.
  soa_nameserver: dns0.example.com.
  soa_mailbox: zone.example.com.
  rotate_zones:
    - www
run_frequency: 60
healthdata_store: /var/lib/edgemanage/health
edgelist_dir: /etc/edgemanage/edges
extra_edgelist_dir: /etc/edgemanage/extra_edges
dnschange_maxfreq: 10
workers: 10
retry: 3
goodenough: 0.700
canary_killer: 6
statefile: /var/lib/edgemanage/state/{dnet}.state
logpath: /var/log/edgemanage.log
lockfile: /var/lock/edgemanage.lock
zonetemplate_dir: /etc/edgemanage/zones
edge_count: 1
dnet_edge_count:
  my_dnet: 3
named_dir: /etc/bind/zones/
live_list: /var/lib/edgemanage/edges.{dnet}.live
canary_files: /etc/edgemanage/canaries/{dnet}
prometheus_logs: /var/log/prom/
commands:
  run_after_changes:
    - rndc -s bind -p 953 reload
  run_after:
  run_before:
`;

function expectError(text: string, pattern: RegExp) {
  assert.throws(
    () => parseConfig(text, "/etc/edgemanage/edgemanage.yaml"),
    (err: unknown) => err instanceof OperatorError && pattern.test(err.message) && err.message.startsWith("/etc/edgemanage/edgemanage.yaml:"),
  );
}

const withKey = (path: string[], value: unknown) => {
  const doc = yaml.load(CLASSIC) as Record<string, unknown>;
  let o = doc;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
  if (value === undefined) delete o[path.at(-1)!];
  else o[path.at(-1)!] = value;
  return yaml.dump(doc);
};

describe("config: the classic edgemanage.yaml", () => {
  test("is accepted with its classic meaning", () => {
    const { config, unknownKeys } = parseConfig(CLASSIC, "edgemanage.yaml");
    assert.equal(config.testobject.port, 443);
    assert.equal(config.testobject.verify, false);
    assert.equal(config.goodenough, 0.7);
    assert.deepEqual(config.dns.rotate_zones, ["www"]);
    assert.deepEqual(config.commands.run_after_changes, ["rndc -s bind -p 953 reload"]);
    assert.deepEqual(config.commands.run_after, []);
    assert.equal(config.timeout, 10, "new keys have defaults");
    assert.deepEqual(unknownKeys, []);
  });
  test("{dnet} is filled in and dnet_edge_count wins over edge_count", () => {
    const { config } = parseConfig(CLASSIC, "/etc/edgemanage/edgemanage.yaml");
    const s = loadSettingsFrom(config, "my_dnet");
    assert.equal(s.statefile, "/var/lib/edgemanage/state/my_dnet.state");
    assert.equal(s.liveList, "/var/lib/edgemanage/edges.my_dnet.live");
    assert.equal(s.canaryFile, "/etc/edgemanage/canaries/my_dnet");
    assert.deepEqual(s.edgelistFiles, ["/etc/edgemanage/edges/my_dnet", "/etc/edgemanage/extra_edges/my_dnet"]);
    assert.equal(s.lockfile, "/var/lock/edgemanage.lock.my_dnet");
    assert.equal(s.edgeCount, 3);
    assert.equal(loadSettingsFrom(config, "other").edgeCount, 1);
  });
  test("unknown keys are reported, not fatal", () => {
    assert.deepEqual(parseConfig(`${CLASSIC}goodenuf: 3\n`, "x").unknownKeys, ["goodenuf"]);
  });
});

function loadSettingsFrom(config: ReturnType<typeof parseConfig>["config"], dnet: string) {
  const dir = mkdtempSync(join(tmpdir(), "em-cfg-"));
  const file = join(dir, "edgemanage.yaml");
  writeFileSync(file, yaml.dump(config));
  return loadSettings(file, dnet);
}

describe("config: mistakes fail before any probe, naming file, key and fix", () => {
  test("NS name without trailing dot", () => expectError(withKey(["dns", "ns_records"], ["ns1.example.com"]), /dns\.ns_records\[0\]: .*trailing dot/));
  test("run_frequency under 60", () => expectError(withKey(["run_frequency"], 30), /run_frequency: expected at least 60/));
  test("wrong type", () => expectError(withKey(["goodenough"], "fast"), /goodenough: /));
  test("missing key", () => expectError(withKey(["edge_count"], undefined), /edge_count: /));
  test("bad proto", () => expectError(withKey(["testobject", "proto"], "gopher"), /testobject\.proto: /));
  test("s3 backend without bucket", () => expectError(withKey(["state"], { backend: "s3" }), /state\.bucket: .*add the bucket/));
  test("not YAML", () => expectError("a: [1,\n", /not valid YAML/));
  test("missing file names the file and the flag", () =>
    assert.throws(() => loadSettings("/nonexistent/edgemanage.yaml", "x"), /\/nonexistent\/edgemanage.yaml: cannot read .*-c PATH/));
  test("bad network name", () => assert.throws(() => loadSettingsFrom(parseConfig(CLASSIC, "x").config, "../etc"), /-A\/--dnet/));
});

describe("inputs", () => {
  test("edge list: comments, blanks, duplicates, names and IPv6", () => {
    const { edges, problems, warnings } = parseEdgeList("# fleet\nedge1.example.com\n\n  192.0.2.1  \n2001:db8::1 # v6\nEDGE1.example.com\n192.0.2.1\nbad host!\n", "f");
    assert.deepEqual(edges, ["edge1.example.com", "192.0.2.1", "2001:db8::1"]);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /line 8: 'bad host!'/);
    assert.deepEqual(warnings.map((w) => w.message), ["line 6: 'EDGE1.example.com' is listed again (first at f line 2); counted once", "line 7: '192.0.2.1' is listed again (first at f line 4); counted once"]);
  });
  test("edge list: lines whose labels are all numeric are neither IPv4 addresses nor host names", () => {
    const { edges, problems } = parseEdgeList("999.1.1.1\n192.0.2.1\n10.0.0\n1.2.3.4.\nedge-1.example.net\n123.example.net\n", "f");
    assert.deepEqual(edges, ["192.0.2.1", "edge-1.example.net", "123.example.net"]);
    assert.deepEqual(
      problems.map((p) => p.message),
      ["line 1: '999.1.1.1'", "line 3: '10.0.0'", "line 4: '1.2.3.4.'"].map((l) => `${l} is neither a host name nor an IP address in standard form; skipped`),
    );
  });
  test("edge list: one address in two forms is refused with both lines; forms the resolver would read as an address are skipped", () => {
    assert.throws(() => parseEdgeList("2001:db8::1\n2001:DB8:0::1\n", "f"), /^OperatorError: edge list: f line 2: '2001:DB8:0::1' is f line 1: '2001:db8::1' again; list each edge once; fix the edge list \(edgelist_dir\)$/);
    const { edges, problems } = parseEdgeList("127.0.88.1\n0x7f.0.88.1\n0177.0.88.1\n127.88.1\n", "f");
    assert.deepEqual(edges, ["127.0.88.1"]);
    assert.equal(problems.length, 3);
    assert.equal(parseEdgeList("2001:DB8::A\n", "f").edges[0], "2001:db8::a", "kept in canonical form");
  });
  const unservable: [string, RegExp][] = [
    ["0.0.0.0", /'this network'/],
    ["::", /unspecified/],
    ["224.0.0.1", /multicast/],
    ["ff02::1", /multicast/],
    ["255.255.255.255", /broadcast/],
    ["fe80::1%eth0", /zone id/],
    ["::ffff:127.0.88.2", /IPv4-mapped/],
    ["fe80::1", /link-local/],
  ];
  for (const [address, why] of unservable) {
    test(`edge list: ${address} can never be served to a client: refused (exit 2) naming the line`, () => {
      assert.throws(() => parseEdgeList(`192.0.2.1\n${address}\n`, "edges/net"), (e: Error & { exitCode?: number }) => e.exitCode === 2 && e.message.startsWith(`edge list: edges/net line 2: '${address}' cannot be an edge (`) && why.test(e.message));
    });
  }
  test("edge list: loopback and private addresses are kept, with a warning", () => {
    const { edges, warnings } = parseEdgeList("127.0.0.2\n10.1.2.3\n192.0.2.1\n127.0.0.3\n", "f");
    assert.equal(edges.length, 4);
    assert.deepEqual(warnings.map((w) => w.message), ["2 loopback address(es) that clients elsewhere cannot reach: f line 1: 127.0.0.2, f line 4: 127.0.0.3", "1 private address(es) that clients elsewhere cannot reach: f line 2: 10.1.2.3"]);
  });
  test("edge list: a thousand loopback addresses are one warning, with the count and the first three", () => {
    const list = Array.from({ length: 1000 }, (_, i) => `127.1.${i >> 8}.${i & 255}`);
    const { edges, warnings } = parseEdgeList(`${list.join("\n")}\n`, "f");
    assert.deepEqual(edges, list);
    assert.deepEqual(warnings.map((w) => w.message), ["1000 loopback address(es) that clients elsewhere cannot reach: f line 1: 127.1.0.0, f line 2: 127.1.0.1, f line 3: 127.1.0.2, …"]);
  });
  test("canary file: non-IP values are dropped with an error", () => {
    const { canaries, problems } = parseCanaries("example.com: 192.0.2.9\nother.org: not-an-ip\nv6.net: 2001:db8::9\n", "c");
    assert.deepEqual([...canaries], [["example.com", "192.0.2.9"], ["v6.net", "2001:db8::9"]]);
    assert.match(problems[0]!.message, /other\.org.*not an IP address/);
  });
});

describe("IPv4 networks at their edges (core/ip.ts)", () => {
  const cases: [address: string, servable: boolean, kind: "loopback" | "private" | null][] = [
    ["0.255.255.255", false, null],
    ["1.0.0.0", true, null],
    ["9.255.255.255", true, null],
    ["10.0.0.0", true, "private"],
    ["10.255.255.255", true, "private"],
    ["11.0.0.0", true, null],
    ["100.63.255.255", true, null],
    ["100.64.0.0", true, "private"],
    ["100.127.255.255", true, "private"],
    ["100.128.0.0", true, null],
    ["126.255.255.255", true, null],
    ["127.0.0.1", true, "loopback"],
    ["127.255.255.254", true, "loopback"],
    ["128.0.0.0", true, null],
    ["169.254.1.1", true, "private"],
    ["172.15.255.255", true, null],
    ["172.16.0.0", true, "private"],
    ["172.31.255.255", true, "private"],
    ["172.32.0.0", true, null],
    ["192.167.255.255", true, null],
    ["192.168.0.1", true, "private"],
    ["192.169.0.0", true, null],
    ["223.255.255.255", true, null],
    ["224.0.0.0", false, null],
    ["239.255.255.255", false, null],
    ["240.0.0.1", false, null],
    ["255.255.255.255", false, null],
  ];
  for (const [address, servable, kind] of cases) {
    test(`${address}: ${servable ? "servable" : "refused"}, ${kind ?? "public"}`, () => {
      assert.equal(unservable(address) === null, servable);
      if (servable) assert.equal(unusualKind(address), kind);
    });
  }
});

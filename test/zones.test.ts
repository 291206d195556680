import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { pino } from "pino";
import { parseConfig, settingsFor } from "../src/config/load.js";
import { ZonePuller } from "../src/ops/pull.js";
import { makeS3Client } from "../src/state/s3-store.js";
import { ZoneBucket } from "../src/state/zone-bucket.js";
import { OperatorError } from "../src/util/errors.js";
import { sha256 } from "../src/util/fs.js";
import { knownFromRecords, planUpload } from "../src/zone/manifest.js";
import type { ZonePlan } from "../src/zone/render.js";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";
import { PreconditionLayer, S3_ENV } from "./support/s3.js";
import { runCli } from "./support/tools.js";

const BUCKET = "zones";
const record = (serial: number, file?: string, uploaded?: string) => ({ hash: "h", serial, canary: null, file, uploaded });
const zone = (domain: string, o: Partial<ZonePlan>): ZonePlan => ({ domain, write: false, reason: "", text: "", addresses: ["192.0.2.1"], record: record(1), ...o });

describe("which zones go to the bucket (pure)", () => {
  const a = "; managed by edgemanage network=n\nA\n";
  const b = "; managed by edgemanage network=n\nB\n";
  const cases: { name: string; zones: ZonePlan[]; disk: Record<string, string>; known: Record<string, string>; put: string[]; manifest: boolean }[] = [
    { name: "a written zone the bucket lacks is uploaded", zones: [zone("x.org", { write: true, text: a, record: record(5, sha256(a)) })], disk: {}, known: {}, put: ["x.org"], manifest: true },
    { name: "nothing changed and the bucket holds it: no request", zones: [zone("x.org", { record: record(5, sha256(a)) })], disk: { "x.org": a }, known: { "x.org": sha256(a) }, put: [], manifest: false },
    { name: "an unchanged zone the bucket does not hold yet is uploaded from disk", zones: [zone("x.org", { record: record(5, sha256(a)) })], disk: { "x.org": a }, known: {}, put: ["x.org"], manifest: true },
    { name: "a file on disk that is not the one recorded is not uploaded", zones: [zone("x.org", { record: record(5, sha256(a)) })], disk: { "x.org": b }, known: {}, put: [], manifest: false },
    { name: "a zone the checker refused is never uploaded", zones: [zone("x.org", { write: false, refused: "bad", text: b, record: record(6, sha256(b)) })], disk: {}, known: { "x.org": sha256(a) }, put: [], manifest: false },
    { name: "a zone no longer listed leaves the manifest", zones: [zone("x.org", { record: record(5, sha256(a)) })], disk: { "x.org": a }, known: { "x.org": sha256(a), "gone.org": sha256(b) }, put: [], manifest: true },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const known = new Map(Object.entries(c.known).map(([d, s]) => [d, { serial: 1, sha256: s }]));
      const p = planUpload("n", 100, c.zones, new Map(Object.entries(c.disk)), known);
      assert.deepEqual(p.put.map((x) => x.domain), c.put);
      assert.equal(p.manifest !== null, c.manifest);
      if (p.manifest) assert.deepEqual(Object.keys(p.manifest.zones).sort(), c.zones.filter((z) => z.refused === undefined && (c.put.includes(z.domain) || z.domain in c.known)).map((z) => z.domain));
    });
  }
  test("the state says what the bucket holds; a pending upload means the manifest must be read", () => {
    assert.deepEqual([...knownFromRecords({ "x.org": record(5, "s", "s") }, ["x.org"])!], [["x.org", { serial: 5, sha256: "s" }]]);
    assert.equal(knownFromRecords({ "x.org": record(5, "s", "old") }, ["x.org"]), null);
    assert.equal(knownFromRecords({ "x.org": record(5, "s") }, ["x.org"]), null);
  });
});

describe("zone_transport settings", () => {
  const base = "testobject: {host: h, uri: /o, local: o}\ndns: {ns_records: [ns1.example.net.], soa_nameserver: ns1.example.net., soa_mailbox: h.example.net.}\nhealthdata_store: h\nedgelist_dir: e\ngoodenough: 0.5\nstatefile: s\nlockfile: l\nzonetemplate_dir: z\nedge_count: 2\nnamed_dir: n\n";
  const settings = (extra: string) => settingsFor(parseConfig(base + extra, "edgemanage.yaml").config, "/etc/edgemanage/edgemanage.yaml", "net");
  const cases: [string, string, string | null, boolean][] = [
    ["file state: volume (nothing uploaded)", "", null, false],
    ["S3 state: both by default (uploaded, named_dir kept)", "state: {backend: s3, bucket: bkt}\n", "edgemanage/zones/net/", false],
    ["s3: named_dir is scratch", "state: {backend: s3, bucket: bkt}\nzone_transport: s3\n", "edgemanage/zones/net/", true],
    ["the prefix follows state.key's folder", "state: {backend: s3, bucket: bkt, key: 'dns/{dnet}/state.gz'}\n", "dns/net/zones/net/", false],
    ["a key with no folder", "state: {backend: s3, bucket: bkt, key: '{dnet}.gz'}\n", "zones/net/", false],
    ["volume with S3 state: nothing uploaded", "state: {backend: s3, bucket: bkt}\nzone_transport: volume\n", null, false],
  ];
  for (const [name, extra, prefix, scratch] of cases) {
    test(name, () => {
      const s = settings(extra);
      assert.equal(s.s3?.zonesPrefix ?? null, prefix);
      assert.equal(s.s3?.bucketServes ?? false, scratch);
    });
  }
  test("several vantage points with DNSSEC need zone_transport s3: only the deciding vantage signs", () => {
    const v = "state: {backend: s3, bucket: bkt}\nvantage: {name: a, peers: [a, b]}\ndnssec: {enabled: true, keys: k}\n";
    assert.throws(() => settings(v), (e: unknown) => e instanceof OperatorError && /zone_transport: several vantage points with DNSSEC: set zone_transport: s3/.test(e.message));
    assert.equal(settings(`${v}zone_transport: s3\n`).s3!.bucketServes, true);
  });
  test("s3 or both without the S3 state is refused, naming the key and the fix", () => {
    assert.throws(() => settings("zone_transport: s3\n"), (e: unknown) => e instanceof OperatorError && /zone_transport: s3 uploads zones to the state bucket: set state.backend: s3, or zone_transport: volume/.test(e.message));
  });
});

describe("zones through the bucket: runs upload, pullers fetch", () => {
  const edges = loopbackAddresses(3, 2100);
  let sim: EdgeSim;
  let s3: PreconditionLayer;
  let fx: Fixture;
  let direct: S3Client;
  const env = () => ({ ...S3_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint });
  const cli = (...args: string[]) => runCli(["-A", fx.dnet, "-c", fx.configPath, "--force", ...args], env());
  const zoneRequests = (from: number) => s3.requests.slice(from).filter((q) => q.path.startsWith(`/${BUCKET}/edgemanage/zones/`));
  const object = async (key: string) => Buffer.from(await (await direct.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray());
  const puller = (dir: string) => new ZonePuller(dir, [{ dnet: "testnet", bucket: new ZoneBucket(makeS3Client({ region: "us-east-1", endpoint: s3.endpoint, forcePathStyle: true }), BUCKET, "edgemanage/zones/testnet/") }], pino({ level: "silent" }));

  before(async () => {
    for (const [k, v] of Object.entries(S3_ENV)) process.env[k] = v;
    sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
    s3 = await PreconditionLayer.start([BUCKET]);
    direct = new S3Client({ endpoint: s3.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
    fx = new Fixture({ edges, port: sim.port, zones: { "example.com": "mail\tIN\tA\t192.0.2.25\n", "example.org": "" } });
    fx.writeConfig({ state: { backend: "s3", bucket: BUCKET, force_path_style: true }, zone_transport: "s3" });
  });
  after(async () => {
    await sim.close();
    await s3.stop();
    fx.cleanup();
  });

  test("the first run uploads every zone, then the manifest; a run that changed nothing makes no zone request", async () => {
    let from = s3.requests.length;
    const r = await cli();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const puts = zoneRequests(from).filter((q) => q.method === "PUT").map((q) => q.path.split("/").at(-1));
    assert.deepEqual(puts, ["example.com.zone", "example.org.zone", "manifest.json"]);
    const manifest = JSON.parse((await object("edgemanage/zones/testnet/manifest.json")).toString());
    assert.equal(manifest.zones["example.com"].sha256, sha256(fx.zone()!));
    assert.deepEqual(await object("edgemanage/zones/testnet/example.com.zone"), readFileSync(fx.path("named", "example.com.zone")));
    from = s3.requests.length;
    assert.equal((await cli()).code, 0);
    assert.deepEqual(zoneRequests(from), []);
  });

  test("zone_transport s3: named_dir is scratch — a fresh pod's empty named_dir rewrites nothing", async () => {
    rmSync(fx.path("named"), { recursive: true });
    const from = s3.requests.length;
    const r = await cli("-v");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /zone example\.com written/);
    assert.equal(fx.zone(), null);
    assert.deepEqual(zoneRequests(from), []);
  });

  test("a puller fetches the zones and the stamp; its next cycle is one conditional GET answered 304", async () => {
    const dir = mkdtempSync(join(tmpdir(), "em-pull-"));
    try {
      const p = puller(dir);
      const [first] = await p.cycle();
      assert.deepEqual(first!.fetched, ["example.com", "example.org"]);
      assert.deepEqual(readFileSync(join(dir, "example.com.zone")), await object("edgemanage/zones/testnet/example.com.zone"));
      assert.match(readFileSync(join(dir, ".edgemanage.testnet.stamp"), "utf8"), /"example\.com":\d+/);
      const from = s3.requests.length;
      const [second] = await p.cycle();
      assert.deepEqual(second, { dnet: "testnet", fetched: [], errors: [] });
      assert.deepEqual(s3.requests.slice(from).map((q) => `${q.method} ${q.path.split("/").at(-1)}`), ["GET manifest.json"]);
      assert.match(p.metrics(), /^edgemanage_zones_pull_serial\{dnet="testnet",zone="example\.com"\} \d+$/m);
      assert.equal(p.health(30).ok, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("one changed zone: the run uploads it and the manifest only; the puller fetches that zone only", async () => {
    const dir = mkdtempSync(join(tmpdir(), "em-pull-"));
    try {
      const p = puller(dir);
      await p.cycle();
      fx.setInclude("example.org", "@\tIN\tTXT\t\"second\"\n");
      let from = s3.requests.length;
      assert.equal((await cli()).code, 0);
      assert.deepEqual(zoneRequests(from).filter((q) => q.method === "PUT").map((q) => q.path.split("/").at(-1)), ["example.org.zone", "manifest.json"]);
      from = s3.requests.length;
      const [r] = await p.cycle();
      assert.deepEqual(r!.fetched, ["example.org"]);
      assert.deepEqual(s3.requests.slice(from).map((q) => q.path.split("/").at(-1)), ["manifest.json", "example.org.zone"]);
      assert.match(readFileSync(join(dir, "example.org.zone"), "utf8"), /"second"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a zone refused by the checker is never uploaded; the bucket keeps the last good one", async () => {
    const before = await object("edgemanage/zones/testnet/example.com.zone");
    fx.setInclude("example.com", "broken IN A not-an-address\n");
    const from = s3.requests.length;
    const r = await cli();
    assert.equal(r.code, 1);
    assert.deepEqual(zoneRequests(from).filter((q) => q.path.endsWith("example.com.zone")), []);
    assert.deepEqual(await object("edgemanage/zones/testnet/example.com.zone"), before);
    fx.setInclude("example.com", "mail\tIN\tA\t192.0.2.25\n");
  });

  test("an upload that fails: exit 1, the bucket keeps the previous zone, and the next run uploads it though nothing changed", async () => {
    const before = await object("edgemanage/zones/testnet/example.org.zone");
    fx.setInclude("example.org", "@\tIN\tTXT\t\"third\"\n");
    fx.setInclude("example.com", "mail\tIN\tA\t192.0.2.27\n");
    // Credentials refused for the zone PUT after example.com's (example.org's): not retried.
    s3.beforePutTo("example.com.zone", async () => s3.failNext(1, 403, "AccessDenied"));
    const r = await cli();
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /zone upload failed, pullers keep the previous zone: s3:\/\/zones\/edgemanage\/zones\/testnet\/example\.org\.zone: credentials rejected/);
    assert.deepEqual(await object("edgemanage/zones/testnet/example.org.zone"), before);
    const manifest = JSON.parse((await object("edgemanage/zones/testnet/manifest.json")).toString());
    assert.equal(manifest.zones["example.org"].sha256, sha256(before), "the manifest names the zone the bucket holds");
    assert.equal(manifest.zones["example.com"].sha256, sha256(fx.zone()!));
    const from = s3.requests.length;
    const again = await cli();
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.deepEqual(zoneRequests(from).map((q) => `${q.method} ${q.path.split("/").at(-1)}`), ["GET manifest.json", "PUT example.org.zone", "PUT manifest.json"]);
    assert.match((await object("edgemanage/zones/testnet/example.org.zone")).toString(), /"third"/);
  });

  test("a tampered or missing zone object: the puller keeps the last good file and counts the error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "em-pull-"));
    try {
      const p = puller(dir);
      await p.cycle();
      const good = readFileSync(join(dir, "example.com.zone"));
      // The bucket's zone changes under the manifest (a hand edit): its sha256 no longer matches.
      fx.setInclude("example.com", "mail\tIN\tA\t192.0.2.26\n");
      assert.equal((await cli()).code, 0);
      await direct.send(new PutObjectCommand({ Bucket: BUCKET, Key: "edgemanage/zones/testnet/example.com.zone", Body: "; managed by edgemanage network=testnet\nforged\n" }));
      const [r] = await p.cycle();
      assert.match(r!.errors.join(), /example\.com\.zone: sha256 .* is not the manifest's/);
      assert.deepEqual(readFileSync(join(dir, "example.com.zone")), good);
      assert.match(p.metrics(), /^edgemanage_zones_pull_errors_total\{dnet="testnet"\} 1$/m);
      // The CLI's --once reports the same fault with exit 1, leaving the folder as it was.
      const once = await runCli(["zones", "pull", "--once", "--to", dir, "--network", "testnet", "-c", fx.configPath], env());
      assert.equal(once.code, 1, once.stderr);
      assert.match(once.stderr, /sha256 .* is not the manifest's/);
      assert.deepEqual(readFileSync(join(dir, "example.com.zone")), good);
      // Repaired by the next run that rewrites it (the zone changes again), then pulled.
      fx.setInclude("example.com", "mail\tIN\tA\t192.0.2.25\n");
      assert.equal((await cli()).code, 0);
      const ok = await runCli(["zones", "pull", "--once", "--to", dir, "--network", "testnet", "-c", fx.configPath], env());
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(readFileSync(join(dir, "example.com.zone"), "utf8"), /192\.0\.2\.25/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a network whose runs never uploaded: --once succeeds with nothing to pull; a volume config is refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "em-pull-"));
    try {
      const other = new ZonePuller(dir, [{ dnet: "nonet", bucket: new ZoneBucket(makeS3Client({ region: "us-east-1", endpoint: s3.endpoint, forcePathStyle: true }), BUCKET, "edgemanage/zones/nonet/") }], pino({ level: "silent" }));
      assert.deepEqual(await other.cycle(), [{ dnet: "nonet", fetched: [], errors: [] }]);
      // A bucket that cannot be reached: the folder is left alone and /healthz says why.
      const unreachable = new ZonePuller(dir, [{ dnet: "testnet", bucket: new ZoneBucket(makeS3Client({ region: "us-east-1", endpoint: "http://127.0.0.1:9", forcePathStyle: true }), BUCKET, "edgemanage/zones/testnet/") }], pino({ level: "silent" }));
      const [r0] = await unreachable.cycle(3000);
      assert.match(r0!.errors.join(), /unreachable/);
      assert.deepEqual(unreachable.health(30), { ok: false, text: `stale: testnet never pulled (${r0!.errors[0]})` });
      assert.equal(existsSync(join(dir, ".edgemanage.nonet.stamp")), false);
      const volumeConfig = join(dir, "volume.yaml");
      writeFileSync(volumeConfig, readFileSync(fx.configPath, "utf8").replace("zone_transport: s3", "zone_transport: volume"));
      const r = await runCli(["zones", "pull", "--once", "--to", dir, "--network", "testnet", "-c", volumeConfig], env());
      assert.equal(r.code, 2);
      assert.match(r.stderr, /zone_transport is volume for network testnet/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

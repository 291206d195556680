import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { pino } from "pino";
import { emptyState } from "../src/core/state.js";
import { S3StateStore, type S3StoreOptions, makeS3Client } from "../src/state/s3-store.js";
import { encodeStateBytes } from "../src/state/codec.js";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";
import { PreconditionLayer, S3_ENV } from "./support/s3.js";
import { checkZone, runCli } from "./support/tools.js";

const BUCKET = "edgemanage-state";
const log = pino({ level: "silent" });
let s3: PreconditionLayer;
let direct: S3Client;

const client = (endpoint: string) => new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });

async function getObject(key: string): Promise<Buffer | null> {
  try {
    const r = await direct.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return Buffer.from(await r.Body!.transformToByteArray());
  } catch {
    return null;
  }
}
const putObject = (key: string, body: Buffer) => direct.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

function store(key: string, over: Partial<S3StoreOptions> = {}, endpoint = s3.endpoint): S3StateStore {
  for (const [k, v] of Object.entries(S3_ENV)) process.env[k] = v;
  return new S3StateStore(makeS3Client({ region: "us-east-1", endpoint, forcePathStyle: true }), { bucket: BUCKET, key, onUnreadable: "fail", deadlineMs: 8000, ...over }, log);
}

/** Two runs read the same state and A saves first: B's save must fail and leave A's history. */
async function secondWriterLoses(key: string): Promise<void> {
  await putObject(key, encodeStateBytes(emptyState("net")));
  const [a, b] = [store(key), store(key)];
  const [la, lb] = [await a.load("net"), await b.load("net")];
  await a.save({ ...la.state, lastLive: ["a"] }, la);
  await assert.rejects(b.save({ ...lb.state, lastLive: ["b"] }, lb), (e: Error & { outcome?: string }) => e.outcome === "conflict" && /another run changed the state/.test(e.message));
  assert.deepEqual((await store(key).load("net")).state.lastLive, ["a"], "the first writer's history is intact");
}

before(async () => {
  s3 = await PreconditionLayer.start([BUCKET]);
  direct = client(s3.backendEndpoint);
});
after(() => s3.stop());

describe("S3 state store against s3rver", () => {
  test("a missing object starts empty; save creates it (If-None-Match) and load reads it back", async () => {
    const st = store("t/create.json.gz");
    const first = await st.load("net");
    assert.equal(first.version, null);
    const state = { ...emptyState("net"), lastLive: ["192.0.2.1"], lastRun: 1 };
    await st.save(state, first);
    const again = await store("t/create.json.gz").load("net");
    assert.deepEqual(again.state, state);
    assert.ok(again.version);
  });

  test("concurrent writers: the one that saves second loses with a conflict", () => secondWriterLoses("t/race.json.gz"));

  test("a competing write between the check and the PUT is refused by If-Match", async () => {
    const key = "t/ifmatch.json.gz";
    await putObject(key, encodeStateBytes(emptyState("net")));
    const a = store(key);
    const la = await a.load("net");
    s3.beforeNextPut = async () => void (await putObject(key, encodeStateBytes({ ...emptyState("net"), lastLive: ["other"] })));
    await assert.rejects(a.save({ ...la.state, lastLive: ["a"] }, la), /lost race/);
    assert.deepEqual((await store(key).load("net")).state.lastLive, ["other"]);
  });

  test("second line of defence when the store ignores preconditions", async () => {
    s3.honourPreconditions = false;
    try {
      const key = "t/nocond.json.gz";
      // 1. Another run saved since we read: caught by the check before writing; nothing overwritten.
      await secondWriterLoses(key);
      // 2. Another write lands right after ours: caught by the check after writing.
      const c = store(key);
      const lc = await c.load("net");
      s3.afterNextPut = async () => void (await putObject(key, encodeStateBytes({ ...emptyState("net"), lastLive: ["late"] })));
      await assert.rejects(c.save({ ...lc.state, lastLive: ["c"] }, lc), /wrote the state at the same time/);
    } finally {
      s3.honourPreconditions = true;
    }
  });

  test("throttling is retried with backoff", async () => {
    const st = store("t/throttle.json.gz");
    s3.failNext(2, 503, "SlowDown");
    const loaded = await st.load("net");
    s3.failNext(2, 500, "InternalError");
    await st.save(emptyState("net"), loaded);
    assert.ok(await getObject("t/throttle.json.gz"));
  });

  test("faults give clear errors with a defined outcome", async () => {
    const cases: [string, () => Promise<unknown>, string, RegExp][] = [
      ["missing bucket", () => store("k", { bucket: "no-such-bucket", deadlineMs: 5000 }).load("n"), "unavailable", /bucket does not exist/],
      ["unreachable endpoint", () => store("k", { deadlineMs: 3000 }, "http://127.0.0.1:9").load("n"), "unavailable", /unreachable/],
      ["bad credentials", () => (process.env.AWS_ACCESS_KEY_ID = "nobody", new S3StateStore(makeS3Client({ region: "us-east-1", endpoint: s3.endpoint, forcePathStyle: true }), { bucket: BUCKET, key: "k", onUnreadable: "fail", deadlineMs: 5000 }, log).load("n")), "unavailable", /credentials rejected/],
    ];
    for (const [name, f, outcome, msg] of cases) {
      await assert.rejects(f(), (e: Error & { outcome?: string }) => e.outcome === outcome && msg.test(e.message), name);
      process.env.AWS_ACCESS_KEY_ID = "S3RVER";
    }
  });

  test("corrupt, truncated and newer-schema objects are refused, and never overwritten", async () => {
    const full = encodeStateBytes({ ...emptyState("net"), lastLive: ["x"] });
    const objects: [string, Buffer, string][] = [
      ["t/garbage", Buffer.from("\u0000\u0001 not a state"), "unreadable"],
      ["t/truncated", full.subarray(0, full.length - 10), "unreadable"],
      ["t/newer", gzipSync(JSON.stringify({ schema: 99 })), "newer"],
    ];
    for (const [key, body, outcome] of objects) {
      await putObject(key, body);
      await assert.rejects(store(key).load("net"), (e: Error & { outcome?: string }) => e.outcome === outcome, key);
      assert.deepEqual(await getObject(key), body);
    }
    await assert.rejects(store("t/newer", { onUnreadable: "start_empty" }).load("net"), /upgrade edgemanage/);
  });

  test("on_unreadable: start_empty copies the unreadable object aside before replacing it", async () => {
    const key = "t/optin";
    const bad = Buffer.from("garbage");
    await putObject(key, bad);
    const st = store(key, { onUnreadable: "start_empty" });
    const loaded = await st.load("net");
    assert.equal(loaded.unreadable, true);
    await st.save(emptyState("net"), loaded);
    const list = await direct.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${key}.unreadable-` }));
    assert.equal(list.KeyCount, 1);
    assert.deepEqual(await getObject(list.Contents![0]!.Key!), bad);
  });
});

describe("CLI with state in S3", () => {
  const edges = loopbackAddresses(3, 700);
  let sim: EdgeSim;
  let fx: Fixture;
  const key = "edgemanage/{dnet}.state.json.gz";
  const objectKey = "edgemanage/testnet.state.json.gz";
  const env = () => ({ ...S3_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint });
  const cli = (...args: string[]) => runCli(["-A", fx.dnet, "-c", fx.configPath, ...args], env());
  before(async () => {
    sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
    fx = new Fixture({ edges, port: sim.port });
    // No endpoint in the file: it comes from the environment, as in the container.
    fx.writeConfig({ state: { backend: "s3", bucket: BUCKET, key, force_path_style: true } });
  });
  after(async () => {
    await sim.close();
    fx.cleanup();
  });

  test("each run makes exactly one GET and one conditional PUT of the state object", async () => {
    for (let run = 0; run < 2; run++) {
      const from = s3.requests.length;
      const r = await cli("--force");
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const mine = s3.requests.slice(from).filter((q) => q.path === `/${BUCKET}/${objectKey}`);
      assert.equal(mine.filter((q) => q.method === "GET").length, 1, JSON.stringify(mine));
      assert.equal(mine.filter((q) => q.method === "PUT").length, 1, JSON.stringify(mine));
    }
    const stored = await store(objectKey).load("testnet");
    assert.equal(stored.state.edges[edges[0]!]!.samples.t.length, 2);
    assert.equal(fx.apexAddresses().length, 2);
  });

  test("dry run reads the state from the bucket and writes nothing", async () => {
    const from = s3.requests.length;
    const before = await getObject(objectKey);
    const r = await cli("-n");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /state: s3:\/\/edgemanage-state\/edgemanage\/testnet\.state\.json\.gz/);
    assert.match(r.stdout, /= 127\.0\.\d+\.\d+  stay/);
    assert.deepEqual(s3.requests.slice(from).map((q) => q.method), ["GET"]);
    assert.deepEqual(await getObject(objectKey), before);
  });

  test("a lost race ends the run non-zero after the zones were written consistently", async () => {
    fx.setInclude("example.com", "race\tIN\tA\t192.0.2.77\n");
    // Another run saves its own (different) state just before ours arrives (after our zones were uploaded).
    s3.beforePutTo(objectKey, async () => {
      const other = await store(objectKey).load("testnet");
      await putObject(objectKey, encodeStateBytes({ ...other.state, lastRun: 1 }));
    });
    const r = await cli("--force");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /lost race/);
    assert.match(fx.zone() ?? "", /192\.0\.2\.77/);
    assert.equal((await checkZone("example.com", fx.path("named", "example.com.zone"))).code, 0);
  });

  test("an unreadable state object stops the run before anything is published", async () => {
    const good = (await getObject(objectKey))!;
    await putObject(objectKey, Buffer.from("garbage"));
    fx.setInclude("example.com", "changed\tIN\tA\t192.0.2.78\n");
    const r = await cli("--force");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unreadable .*on_unreadable/);
    assert.doesNotMatch(fx.zone() ?? "", /192\.0\.2\.78/);
    assert.deepEqual(await getObject(objectKey), Buffer.from("garbage"));
    await putObject(objectKey, good);
  });

  test("a missing bucket and an unreachable endpoint fail the run with one clear line", async () => {
    fx.writeConfig({ state: { backend: "s3", bucket: "no-such-bucket", key, force_path_style: true } });
    const a = await cli("--force");
    assert.equal(a.code, 1);
    assert.match(a.stderr, /^edgemanage: s3:\/\/no-such-bucket\/.*bucket does not exist.*\n$/);
    fx.writeConfig({ state: { backend: "s3", bucket: BUCKET, key, force_path_style: true, endpoint: "http://127.0.0.1:9" } });
    const b = await cli("--force");
    assert.equal(b.code, 1);
    assert.match(b.stderr, /unreachable/);
    fx.writeConfig({ state: { backend: "s3", bucket: BUCKET, key, force_path_style: true } });
  });

  test("import moves a classic installation into the bucket, losing no sample", async () => {
    const imp = new Fixture({ edges, port: sim.port, dnet: "classicnet" });
    imp.writeConfig({ state: { backend: "s3", bucket: BUCKET, key, force_path_style: true } });
    const { writeFileSync } = await import("node:fs");
    const t0 = 1_700_000_000;
    writeFileSync(imp.path("state", "classicnet.state"), JSON.stringify({ rotation_list: [t0], last_run: t0, last_live: [edges[1]], verification_failues: [edges[2]] }));
    const counts = [2000, 1500, 3];
    edges.forEach((e, i) => {
      const fetch = Object.fromEntries(Array.from({ length: counts[i]! }, (_, k) => [String(t0 + k * 60 + 0.123), 0.1 + (k % 7) / 100]));
      writeFileSync(imp.path("health", `${e}.edgestore`), JSON.stringify({ fetch_times: fetch, historical_average: { [String(t0)]: 0.12 }, rotation_history: [t0], state: i === 1 ? "in" : "out", mode: i === 2 ? "unavailable" : "available", health: "pass", state_entry_time: t0, comment: i === 2 ? "broken disk" : null }));
    });
    const r = await runCli(["import", "-A", "classicnet", "-c", imp.configPath], env());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /3 edge histories, 3503 samples/);
    const st = (await store("edgemanage/classicnet.state.json.gz").load("classicnet")).state;
    assert.deepEqual(edges.map((e) => st.edges[e]!.samples.t.length), counts);
    assert.equal(st.edges[edges[2]!]!.mode, "unavailable");
    assert.equal(st.edges[edges[2]!]!.comment, "broken disk");
    assert.equal(st.edges[edges[0]!]!.health, "pass_threshold");
    assert.deepEqual(st.lastLive, [edges[1]]);
    assert.deepEqual(st.verificationFailures, [edges[2]]);
    // Importing again would replace a state: refused without --overwrite.
    const again = await runCli(["import", "-A", "classicnet", "-c", imp.configPath], env());
    assert.equal(again.code, 1);
    assert.match(again.stderr, /--overwrite/);
    imp.cleanup();
  });
});

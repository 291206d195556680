import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";
import { PreconditionLayer, S3_ENV } from "./support/s3.js";
import { runCli } from "./support/tools.js";

/** Day-2 operations with only the bucket and credentials: no configuration file, no checkout. */
describe("day 2 from a laptop: --state-url", () => {
  const edges = loopbackAddresses(2, 2500);
  let sim: EdgeSim;
  let s3: PreconditionLayer;
  let fx: Fixture;
  let url = "";
  const env = () => ({ ...S3_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint });
  before(async () => {
    sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
    s3 = await PreconditionLayer.start(["day2"]);
    fx = new Fixture({ edges, port: sim.port });
    fx.writeConfig({ state: { backend: "s3", bucket: "day2", force_path_style: true }, edge_count: 1 });
    assert.equal((await runCli(["-A", fx.dnet, "-c", fx.configPath, "--force"], env())).code, 0);
    url = "s3://day2/edgemanage?path_style=true";
  });
  after(async () => {
    await sim.close();
    await s3.stop();
    fx.cleanup();
  });

  test("query reads the state from the bucket alone; the edges are the state's", async () => {
    const r = await runCli(["query", "-A", fx.dnet, "--state-url", url, "--format", "csv"], env());
    assert.equal(r.code, 0, r.stderr);
    for (const e of edges) assert.match(r.stdout, new RegExp(`^${e.replaceAll(".", "\\.")},`, "m"));
  });

  test("edge-conf drains an edge in the bucket's state; the next run keeps it out", async () => {
    const live = fx.liveList()![0]!;
    const r = await runCli(["edge-conf", "-A", fx.dnet, "--state-url", url, "--mode", "unavailable", "--comment", "drained from a laptop", live], env());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${live}: available -> unavailable\n`);
    assert.equal((await runCli(["-A", fx.dnet, "-c", fx.configPath, "--force"], env())).code, 0);
    assert.ok(!fx.liveList()!.includes(live));
    const check = await runCli(["check", "freshness", "-A", fx.dnet, "--state-url", url], env());
    assert.equal(check.code, 0, check.stdout);
    assert.match(check.stdout, /^EDGEMANAGE FRESHNESS OK - testnet: last completed run \d+s ago/);
  });

  test("without credentials the message says what is missing; the SDK's Node.js notice is not shown", async () => {
    // No credentials anywhere, and no instance metadata to ask (the tests never leave loopback).
    const bare = { AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent", AWS_CONFIG_FILE: "/nonexistent", AWS_EC2_METADATA_DISABLED: "true" };
    const r = await runCli(["query", "-A", fx.dnet, "--state-url", url], bare);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^edgemanage: s3:\/\/day2\/edgemanage\/testnet\.state\.json\.gz: no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \(or AWS_PROFILE\), or run where a role provides them/);
    // As on Node.js 20: the SDK would print a multi-line notice on every command.
    const preload = fx.path("node20.cjs");
    writeFileSync(preload, 'Object.defineProperty(process, "version", { value: "v20.11.0" });\n');
    const old = await runCli(["query", "-A", fx.dnet, "--state-url", url], { ...env(), NODE_OPTIONS: `--require ${preload}` });
    assert.equal(old.code, 0, old.stderr);
    assert.doesNotMatch(old.stderr, /NodeVersionSupportWarning|AWS SDK for JavaScript/);
  });
});

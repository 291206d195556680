import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { TEST_OBJECT } from "./support/fixture.js";
import { type K8sObject, named, template } from "./support/k8s.js";
import { dig, freePort } from "./support/named.js";
import { IMAGES, e2eConfig, objectsOf, podOf, waitFor as waitForPods } from "./support/chart-pods.js";
import { type PodSim as PodSimT, type PodSpec, PodSim } from "./support/pod.js";
import { PreconditionLayer, S3_ENV } from "./support/s3.js";
import { requireTool } from "./support/tools.js";

/**
 * The chart, end to end, without a cluster: the rendered CronJob's container and the rendered bind
 * Deployment's containers run as a kubelet would run them (see support/pod.ts), over one zone
 * volume, against loopback edges and s3rver; a real named answers dig.
 */
/** Cluster DNS, as the pods see it: the DNS Service's name. */
const SERVICES = { "em-edgemanage-dns.dns.svc": "127.0.0.1" };

/** What the bind pod's containers said, for a failure's message. */
let diagnostics = () => "";

const waitFor = <T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000) => waitForPods(what, get, ok, ms, diagnostics);

describe("the chart end to end: two networks' CronJob pods, the bind pod with its reloader, one zone volume", { timeout: 300_000 }, () => {
  const edges = loopbackAddresses(4, 1100);
  const [e1, e2, e3, e4] = edges as [string, string, string, string];
  let sim: EdgeSim;
  let s3: PreconditionLayer;
  let claim: string;
  let dnsPort: number;
  let values: Record<string, unknown>;
  let bindPod: PodSimT;
  let named_: { proc: import("node:child_process").ChildProcess; log: () => string };
  let reloader: { log: () => string };
  const secrets = { "s3-credentials": { AWS_ACCESS_KEY_ID: S3_ENV.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: S3_ENV.AWS_SECRET_ACCESS_KEY } };
  const apex = () => dig(dnsPort, "example.com", "A");

  const render = async (zones: Record<string, string>) => {
    values = { ...values, networks: { mynet: { edges, zones, edgeCount: 2 }, othernet: { edges: [e3, e4], zones: { "example.info": "" }, edgeCount: 1 } } };
    return template([values]);
  };
  /** One scheduled run: a fresh pod from the CronJob as rendered now. */
  const cronRun = async (objs: K8sObject[], network = "mynet") => {
    const pod = new PodSim(podOf(named(objs, "CronJob", `em-edgemanage-${network}`)), objectsOf(objs, new Map([["em-edgemanage-zones", claim]]), secrets), IMAGES, SERVICES);
    try {
      return await pod.run("edgemanage", "edgemanage");
    } finally {
      await pod.remove();
    }
  };
  const startBind = async (objs: K8sObject[]) => {
    bindPod = new PodSim(podOf(named(objs, "Deployment", "em-edgemanage-bind")), objectsOf(objs, new Map([["em-edgemanage-zones", claim]]), {}), IMAGES);
    const keygen = await bindPod.run("rndc-keygen", "bind");
    assert.equal(keygen.code, 0, keygen.stdout + keygen.stderr);
    const init = await bindPod.run("zones-init", "bind");
    assert.equal(init.code, 0, init.stdout + init.stderr);
    named_ = bindPod.start("named", "bind");
    await waitFor("named answers", async () => (await bindPod.run("named", "bind", bindPod.container("named").livenessProbe!.exec!.command)).code, (c) => c === 0);
    reloader = bindPod.start("reloader", "bind");
    diagnostics = () => `named:\n${named_.log().slice(-3000)}\nreloader:\n${reloader.log().slice(-3000)}`;
  };

  before(async () => {
    for (const [t, p] of [["unshare", "util-linux"], ["named", "bind9"], ["rndc", "bind9-utils"], ["named-checkzone", "bind9-utils"], ["dig", "bind9-dnsutils"]] as const) requireTool(t, p);
    sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
    for (const [a, d] of [[e1, 0], [e2, 30], [e3, 80], [e4, 120]] as const) await sim.set(a, { kind: "ok", delayMs: d });
    s3 = await PreconditionLayer.start(["state"]);
    claim = mkdtempSync(join(tmpdir(), "em-claim-"));
    chmodSync(claim, 0o755); // as a provisioner creates a volume's root
    dnsPort = await freePort();
    values = {
      config: e2eConfig(sim.port),
      testObject: { contentBase64: TEST_OBJECT.toString("base64") },
      state: { s3: { bucket: "state", endpoint: s3.endpoint, forcePathStyle: true }, existingSecret: "s3-credentials" },
      // This file runs the shared-volume transport (test/k8s-zones.test.ts runs the bucket's).
      zones: { transport: "volume" },
      // Runs here come seconds apart, not a minute: past the 30 s guard.
      extraArgs: ["--force"],
      // The Service's port is named's own here: no kube-proxy stands between them.
      bind: { port: dnsPort, service: { port: dnsPort }, rndc: { port: await freePort() }, reload: { intervalSeconds: 1 } },
    };
  });
  after(async () => {
    await bindPod?.remove();
    await sim.close();
    await s3.stop();
    rmSync(claim, { recursive: true, force: true });
  });

  const good = { "example.com": "mail\tIN\tA\t192.0.2.25\n", "example.org": "@\tIN\tTXT\t\"first\"\n" };

  test("bind starts before any run: named answers, nothing is served yet", async () => {
    await startBind(await render(good));
    assert.deepEqual(await apex(), []);
  });

  test("the first run publishes the two fastest edges; bind serves them within 10 s and is ready", async () => {
    const r = await cronRun(await render(good));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /"msg":"state saved"/);
    assert.ok(s3.requests.some((x) => x.method === "PUT" && x.path === "/state/edgemanage/mynet.state.json.gz"), "the state went to the bucket");
    const { seconds } = await waitFor("bind serves the live set", apex, (a) => a.join() === [e1, e2].sort().join());
    // The reloader checks and reloads the zones one after the other: example.org comes a moment later.
    const org = await waitFor("bind serves example.org", () => dig(dnsPort, "example.org", "TXT"), (t) => t.join() === '"first"');
    console.log(`# first zones served ${seconds}s after the run ended (example.org ${org.seconds}s after example.com)`);
    assert.deepEqual(await dig(dnsPort, "www.example.com", "A"), [e1, e2].sort());
    // The second network's CronJob writes its own zone to the same volume; the same bind serves it.
    const other = await cronRun(await render(good), "othernet");
    assert.equal(other.code, 0, other.stdout + other.stderr);
    await waitFor("bind serves the second network", () => dig(dnsPort, "example.info", "A"), (a) => a.join() === e3);
    const ready = await bindPod.run("named", "bind", bindPod.container("named").readinessProbe!.exec!.command);
    assert.equal(ready.code, 0, ready.stdout + ready.stderr);
    assert.match(reloader.log(), /zone example\.com: passed named-checkzone, now served/);
  });

  test("helm test: the rendered test pod finds every zone's SOA through the DNS Service", async () => {
    const objs = await render(good);
    const testPod = new PodSim((named(objs, "Pod", "em-edgemanage-test-dns") as unknown as { spec: PodSpec }).spec, objectsOf(objs, new Map(), {}), IMAGES, SERVICES);
    try {
      const r = await testPod.run("dig", "bind");
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^example\.com SOA ns1\.example\.net\. hostmaster\.example\.net\. \d+ /m);
      assert.match(r.stdout, /^example\.org SOA /m);
      assert.match(r.stdout, /^example\.info SOA /m);
    } finally {
      await testPod.remove();
    }
  });

  test("helm test: edgemanage check served finds every zone of each network served at the serial written", async () => {
    const objs = await render(good);
    for (const network of ["mynet", "othernet"]) {
      const testPod = new PodSim((named(objs, "Pod", `em-edgemanage-test-served-${network}`) as unknown as { spec: PodSpec }).spec, objectsOf(objs, new Map([["em-edgemanage-zones", claim]]), secrets), IMAGES, SERVICES);
      try {
        const r = await testPod.run("edgemanage", "edgemanage");
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, new RegExp(`^EDGEMANAGE SERVED OK - ${network}: all ${network === "mynet" ? 2 : 1} zone\\(s\\) served at the serial written`));
      } finally {
        await testPod.remove();
      }
    }
  });

  test("an edge starts failing: the next run replaces it and bind serves the new set within 10 s, without a restart", async () => {
    await sim.set(e1, { kind: "refuse" });
    const r = await cronRun(await render(good));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const { seconds } = await waitFor("bind serves the new set", apex, (a) => a.join() === [e2, e3].sort().join());
    console.log(`# new live set served ${seconds}s after the run ended`);
    assert.equal(named_.proc.exitCode, null, "named was not restarted");
  });

  test("an invalid include file: the run exits 1 naming the zone, and bind keeps the previous answer", async () => {
    await sim.set(e1, { kind: "ok" });
    await sim.set(e2, { kind: "refuse" });
    const r = await cronRun(await render({ ...good, "example.com": "broken IN A not-an-address\n" }));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /zone example\.com refused by named-checkzone: .*bad dotted quad/);
    // example.org has the new set (e1's mean still carries its failure, so e4 fills the place);
    // example.com keeps its previous file and answer.
    await waitFor("example.org moves on", () => dig(dnsPort, "example.org", "A"), (a) => a.join() === [e3, e4].sort().join());
    assert.deepEqual(await apex(), [e2, e3].sort());
    await sim.set(e2, { kind: "ok", delayMs: 30 });
  });

  test("a restarted bind pod serves the last good zones", async () => {
    await bindPod.remove();
    await startBind(await render(good));
    await waitFor("served after restart", apex, (a) => a.join() === [e2, e3].sort().join());
  });

  test("mode: deployment — the rendered Deployment's pod runs --daemonise and serves /metrics and /healthz", async () => {
    const port = await freePort();
    const objs = await template([{ ...values, mode: "deployment", metrics: { port } }]);
    const pod = new PodSim(podOf(named(objs, "Deployment", "em-edgemanage-othernet")), objectsOf(objs, new Map([["em-edgemanage-zones", claim]]), secrets), IMAGES);
    const prober = pod.start("edgemanage", "edgemanage");
    try {
      const { value } = await waitFor("the first run's metrics", () => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => ""), (t) => t.includes("edgemanage_run_success"), 20_000);
      assert.match(value, /^edgemanage_run_success\{dnet="othernet"\} 1$/m, prober.log());
      assert.match(value, new RegExp(`^edgemanage_edge_live\\{edge="${e3.replaceAll(".", "\\.")}",dnet="othernet"\\} 1$`, "m"));
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    } finally {
      await pod.remove();
    }
  });

  test("the reloader refuses a bad zone file on the volume: it logs the checker's words and the last good version stays", async () => {
    const file = join(claim, "zones", "example.com.zone");
    const previous = readFileSync(file, "utf8");
    writeFileSync(file, previous.replace(/\nmail\t.*\n/, "\nmail\tIN\tA\tnot-an-address\n"));
    writeFileSync(join(claim, "zones", ".edgemanage.mynet.stamp"), `{"by":"hand"}\n`);
    await waitFor("the reloader's refusal", async () => reloader.log(), (l) => /zone example\.com REJECTED, still serving the last good version: .*not-an-address.*bad dotted quad/.test(l));
    assert.deepEqual(await apex(), [e2, e3].sort());
    assert.deepEqual(await dig(dnsPort, "mail.example.com", "A"), ["192.0.2.25"]);
    writeFileSync(file, previous);
    console.log(reloader.log().trim().replace(/^/gm, "# reloader: "));
  });
});

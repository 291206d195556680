import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { IMAGES, e2eConfig, objectsOf, podOf, waitFor } from "./support/chart-pods.js";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { TEST_OBJECT } from "./support/fixture.js";
import { type K8sObject, named, template } from "./support/k8s.js";
import { Named, freePort } from "./support/named.js";
import { PodSim } from "./support/pod.js";
import { PreconditionLayer, S3_ENV } from "./support/s3.js";
import { requireTool, run } from "./support/tools.js";

/**
 * zones.transport s3 end to end, without a cluster and without a shared volume: the rendered CronJob
 * pod writes and uploads; two bind pods (each: rndc-keygen, zones-pull-init, zones-init, named,
 * reloader, zones-pull sidecar, as rendered) pull from s3rver and serve; the first is also the hidden
 * primary of a real secondary named that transfers with the TSIG key.
 */
interface BindPod {
  pod: PodSim;
  dnsPort: number;
  pullPort: number;
  logs: (() => string)[];
}

/** The serial in an SOA answer, or null when there is none. */
async function serial(port: number, zone: string, key?: string): Promise<number | null> {
  const r = await run("dig", ["@127.0.0.1", "-p", String(port), "+short", "+norecurse", "+time=2", "+tries=1", ...(key ? ["-y", key] : []), zone, "SOA"]);
  const n = Number(r.stdout.trim().split(/\s+/)[2]);
  return Number.isInteger(n) ? n : null;
}

describe("zones through the bucket: a CronJob run, two bind pods that pull, a secondary that transfers", { timeout: 300_000 }, () => {
  const edges = loopbackAddresses(3, 2200);
  const [e1, e2, e3] = edges as [string, string, string];
  let sim: EdgeSim;
  let s3: PreconditionLayer;
  let secondary: Named;
  let keyDir: string;
  let tsigKey = "";
  let tsigSecret = "";
  const pods: BindPod[] = [];
  const zones = { "example.com": "mail\tIN\tA\t192.0.2.25\n", "example.org": "" };
  let values: Record<string, unknown>;
  const secrets = () => ({ "s3-credentials": { AWS_ACCESS_KEY_ID: S3_ENV.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: S3_ENV.AWS_SECRET_ACCESS_KEY }, xfer: { "tsig.key": tsigKey } });
  const diagnostics = () => pods.map((p, i) => `bind pod ${i}:\n${p.logs.map((l) => l().slice(-1500)).join("\n")}`).join("\n");
  /** Each pod's values: its own loopback ports (as its own node would have); the first is the secondary's primary. */
  const podValues = (p: { dnsPort: number; rndcPort: number; pullPort: number }, primary: boolean) => ({
    ...values,
    zones: { pull: { intervalSeconds: 1, port: p.pullPort } },
    bind: { port: p.dnsPort, service: { port: p.dnsPort }, rndc: { port: p.rndcPort }, reload: { intervalSeconds: 1 }, ...(primary ? { transfer: { secondaries: [{ address: "127.0.0.1", port: secondary.port }], tsig: { existingSecret: "xfer", keyName: "xfer-key" } } } : {}) },
  });

  const cronRun = async () => {
    const objs = await template([values]);
    const pod = new PodSim(podOf(named(objs, "CronJob", "em-edgemanage-mynet")), objectsOf(objs, new Map(), secrets()), IMAGES);
    try {
      const r = await pod.run("edgemanage", "edgemanage");
      assert.equal(r.code, 0, r.stdout + r.stderr);
      return r;
    } finally {
      await pod.remove();
    }
  };

  const startBindPod = async (dnsPort: number, primary: boolean): Promise<BindPod> => {
    const ports = { dnsPort, rndcPort: await freePort(), pullPort: await freePort() };
    const objs: K8sObject[] = await template([podValues(ports, primary)]);
    const pod = new PodSim(podOf(named(objs, "Deployment", "em-edgemanage-bind")), objectsOf(objs, new Map(), secrets()), IMAGES);
    const image = (name: string) => (name.startsWith("zones-pull") ? "edgemanage" : "bind");
    for (const c of pod.spec.initContainers ?? []) {
      const r = await pod.run(c.name, image(c.name));
      assert.equal(r.code, 0, `${c.name}: ${r.stdout}${r.stderr}`);
    }
    const logs = pod.spec.containers.map((c) => pod.start(c.name, image(c.name)).log);
    const bp = { pod, dnsPort: ports.dnsPort, pullPort: ports.pullPort, logs };
    await waitFor("named answers", async () => (await pod.run("named", "bind", pod.container("named").livenessProbe!.exec!.command)).code, (c) => c === 0, 10_000, diagnostics);
    return bp;
  };

  before(async () => {
    for (const [t, p] of [["unshare", "util-linux"], ["named", "bind9"], ["tsig-keygen", "bind9-utils"], ["dig", "bind9-dnsutils"]] as const) requireTool(t, p);
    sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
    for (const [a, d] of [[e1, 0], [e2, 30], [e3, 80]] as const) await sim.set(a, { kind: "ok", delayMs: d });
    s3 = await PreconditionLayer.start(["state"]);
    // The operator's TSIG key, as `tsig-keygen -a hmac-sha256 xfer-key` makes it; the secondary has it too.
    tsigKey = (await run("tsig-keygen", ["-a", "hmac-sha256", "xfer-key"])).stdout;
    tsigSecret = /secret "([^"]+)"/.exec(tsigKey)![1]!;
    keyDir = mkdtempSync(join(tmpdir(), "em-tsig-"));
    writeFileSync(join(keyDir, "tsig.key"), tsigKey);
    values = {
      config: e2eConfig(sim.port),
      networks: { mynet: { edges, zones, edgeCount: 2 } },
      testObject: { contentBase64: TEST_OBJECT.toString("base64") },
      state: { s3: { bucket: "state", endpoint: s3.endpoint, forcePathStyle: true }, existingSecret: "s3-credentials" },
      extraArgs: ["--force"],
    };
    // The secondary asks the first bind pod, with the key; its port is known before that pod is rendered.
    const primaryPort = await freePort();
    secondary = await Named.start(Object.keys(zones).map((z) => `zone "${z}" { type secondary; primaries { 127.0.0.1 port ${primaryPort} key "xfer-key"; }; file "{dir}/${z}.sec"; };`).join("\n"), join(keyDir, "tsig.key"));
    pods.push(await startBindPod(primaryPort, true));
    pods.push(await startBindPod(await freePort(), false));
  });
  after(async () => {
    for (const p of pods) await p.pod.remove();
    await secondary?.stop();
    await sim.close();
    await s3.stop();
    rmSync(keyDir, { recursive: true, force: true });
  });

  const served = (port: number) => serial(port, "example.com");
  const wanted = async () => Number(JSON.parse((await fetch(`${s3.endpoint}/state/edgemanage/zones/mynet/manifest.json`).then((r) => r.text())) || "{}").zones?.["example.com"]?.serial);

  test("before any run the bind pods start (nothing to pull yet); after the first run both serve the zones", async () => {
    assert.equal(await served(pods[0]!.dnsPort), null);
    await cronRun();
    const want = await wanted();
    for (const p of pods) await waitFor("both bind pods serve the first zones", () => served(p.dnsPort), (s) => s === want, 10_000, diagnostics);
    assert.equal((await fetch(`http://127.0.0.1:${pods[1]!.pullPort}/healthz`)).status, 200);
    assert.match(await fetch(`http://127.0.0.1:${pods[1]!.pullPort}/metrics`).then((r) => r.text()), new RegExp(`edgemanage_zones_pull_serial\\{dnet="mynet",zone="example\\.com"\\} ${want}`));
  });

  test("a run that changes a zone: both pods serve its new serial within the pull interval + reload, the secondary within 5 s of the primary", async () => {
    const before = await wanted();
    await sim.set(e1, { kind: "refuse" });
    await cronRun();
    const ended = Date.now();
    const want = await wanted();
    assert.notEqual(want, before);
    for (const p of pods) await waitFor("the new serial on every bind pod", () => served(p.dnsPort), (s) => s === want, 10_000, diagnostics);
    const allPods = (Date.now() - ended) / 1000;
    const { seconds } = await waitFor("the secondary transfers the new serial", () => served(secondary.port), (s) => s === want, 5_000, () => `${diagnostics()}\nsecondary:\n${secondary.log().slice(-2000)}`);
    console.log(`# run end -> both bind pods serve the new serial: ${allPods.toFixed(1)}s; -> the secondary: +${seconds.toFixed(1)}s`);
    await sim.set(e1, { kind: "ok" });
  });

  test("a zone transfer without the TSIG key is refused; with it, it succeeds", async () => {
    const port = String(pods[0]!.dnsPort);
    // A connection named closes unanswered (it can, for a moment, while the reloader reloads it) is
    // asked again: what is asserted is the answer, REFUSED, never a zone.
    let without = await run("dig", ["@127.0.0.1", "-p", port, "+time=2", "+tries=1", "example.com", "AXFR"]);
    for (let i = 0; i < 3 && /communications error/.test(without.stdout); i++) without = await run("dig", ["@127.0.0.1", "-p", port, "+time=2", "+tries=1", "example.com", "AXFR"]);
    assert.match(without.stdout, /Transfer failed/);
    const withKey = await run("dig", ["@127.0.0.1", "-p", port, "+time=2", "+tries=1", "-y", `hmac-sha256:xfer-key:${tsigSecret}`, "example.com", "AXFR"]);
    assert.match(withKey.stdout, /^example\.com\.\s+\d+\s+IN\s+SOA\s/m);
    assert.doesNotMatch(withKey.stdout, /Transfer failed/);
    // The second pod has no secondaries: it transfers to nobody.
    assert.match((await run("dig", ["@127.0.0.1", "-p", String(pods[1]!.dnsPort), "+time=2", "+tries=1", "-y", `hmac-sha256:xfer-key:${tsigSecret}`, "example.com", "AXFR"])).stdout, /Transfer failed|TSIG/);
  });
});

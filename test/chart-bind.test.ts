import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import yaml from "js-yaml";
import { parseConfig } from "../src/config/load.js";
import { CHART, type K8sObject, byKind, helm, named, template } from "./support/k8s.js";
import { ROOT, requireTool, run } from "./support/tools.js";

/** The chart's bind side: both zone transports, renders that GitOps tools can sync, availability, secondaries. */
interface Container {
  name: string;
  command?: string[];
  args?: string[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  livenessProbe?: { exec?: { command: string[] }; httpGet?: { path: string } };
  readinessProbe?: unknown;
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes: { name: string; emptyDir?: { medium?: string }; persistentVolumeClaim?: { claimName: string }; secret?: { secretName: string } }[];
  serviceAccountName?: string;
  priorityClassName?: string;
  topologySpreadConstraints?: { topologyKey: string; whenUnsatisfiable: string }[];
}
const podOf = (o: K8sObject): PodSpec => (o.kind === "CronJob" ? (o as unknown as { spec: { jobTemplate: { spec: { template: { spec: PodSpec } } } } }).spec.jobTemplate.spec.template.spec : (o as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec);
const annotations = (o: K8sObject) => (o as unknown as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec.template.metadata.annotations;
const data = (o: K8sObject) => (o as unknown as { data: Record<string, string> }).data;

const base = {
  networks: { mynet: { edges: ["192.0.2.1", "192.0.2.2"], zones: { "example.com": "", "example.org": "" } }, other: { edges: ["192.0.2.3"], zones: { "example.net": "" } } },
  testObject: { content: "x\n" },
};
const s3 = { ...base, state: { s3: { bucket: "edgemanage-state", endpoint: "https://minio.example.net", forcePathStyle: true }, existingSecret: "s3" } };
const rendered = async (values: Record<string, unknown>) => {
  const f = join(mkdtempSync(join(tmpdir(), "em-values-")), "values.yaml");
  writeFileSync(f, yaml.dump(values));
  const r = await helm("template", "em", CHART, "--namespace", "dns", "-f", f);
  rmSync(f);
  return r;
};

describe("chart: zones through the bucket or a shared volume", () => {
  test("with S3 state the default transport is s3: no claim anywhere, a zones-pull init and sidecar in the bind pod", async () => {
    const objs = await template([s3]);
    assert.deepEqual(byKind(objs, "PersistentVolumeClaim"), []);
    const bind = podOf(named(objs, "Deployment", "em-edgemanage-bind"));
    assert.deepEqual(bind.initContainers!.map((c) => c.name), ["rndc-keygen", "zones-pull-init", "zones-init"]);
    assert.deepEqual(bind.containers.map((c) => c.name), ["zones-pull", "named", "reloader"]);
    const pull = bind.containers[0]!;
    assert.deepEqual(pull.args, ["zones", "pull", "--to", "/var/lib/edgemanage/zones", "-c", "/etc/edgemanage/edgemanage.yaml", "--network", "mynet", "--network", "other", "--every", "5", "--listen", "0.0.0.0:9465"]);
    assert.deepEqual(bind.initContainers![1]!.args!.slice(-1), ["--once"]);
    assert.equal(pull.livenessProbe?.httpGet?.path, "/metrics");
    assert.equal(pull.readinessProbe, undefined, "an unreachable bucket does not take a serving bind out of the Service");
    assert.ok(bind.volumes.find((v) => v.name === "data")!.emptyDir);
    assert.equal(bind.serviceAccountName, "em-edgemanage", "the sidecar reads the bucket with the CronJobs' account");
    for (const cj of byKind(objs, "CronJob")) assert.ok(podOf(cj).volumes.find((v) => v.name === "data")!.emptyDir, "the run's named_dir is scratch");
    const { config } = parseConfig(data(named(objs, "ConfigMap", "em-edgemanage-config"))["edgemanage.yaml"]!, "edgemanage.yaml");
    assert.equal(config.zone_transport, "s3");
  });

  test("transport volume keeps the ReadWriteMany claim and no sidecar; s3 without a bucket is refused", async () => {
    const objs = await template([{ ...s3, zones: { transport: "volume" } }]);
    assert.deepEqual((byKind(objs, "PersistentVolumeClaim")[0] as unknown as { spec: { accessModes: string[] } }).spec.accessModes, ["ReadWriteMany"]);
    const bind = podOf(named(objs, "Deployment", "em-edgemanage-bind"));
    assert.deepEqual(bind.containers.map((c) => c.name), ["named", "reloader"]);
    assert.equal(bind.volumes.find((v) => v.name === "data")!.persistentVolumeClaim!.claimName, "em-edgemanage-zones");
    assert.equal(byKind(await template([base]), "PersistentVolumeClaim").length, 1, "file state: volume by default");
    const r = await rendered({ ...base, zones: { transport: "s3" } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /zones\.transport is s3: set state\.s3\.bucket/);
  });
});

describe("chart: safe under GitOps", () => {
  test("helm template twice with the same values gives the same bytes (no generated Secret, no lookup)", async () => {
    for (const values of [base, s3]) {
      const [a, b] = [await rendered(values), await rendered(values)];
      assert.equal(a.code, 0, a.stderr);
      assert.equal(a.stdout, b.stdout);
      assert.deepEqual(byKind((await template([values])) as K8sObject[], "Secret"), []);
    }
  });

  test("the rndc key is made at pod start into memory; an existing Secret replaces it", async () => {
    const bind = podOf(named(await template([base]), "Deployment", "em-edgemanage-bind"));
    assert.equal(bind.volumes.find((v) => v.name === "rndc-key")!.emptyDir!.medium, "Memory");
    const given = podOf(named(await template([{ ...base, bind: { rndc: { existingSecret: "mine" } } }]), "Deployment", "em-edgemanage-bind"));
    assert.equal(given.volumes.find((v) => v.name === "rndc-key")!.secret!.secretName, "mine");
    assert.ok(!given.initContainers!.some((c) => c.name === "rndc-keygen"));
  });

  test("a change to any ConfigMap a pod reads changes that pod template's checksum annotations (the pods roll)", async () => {
    const changes: [string, Record<string, unknown>][] = [
      ["edgemanage.yaml", { ...s3, config: { goodenough: 0.5 } }],
      ["the zone list", { ...s3, networks: { ...s3.networks, other: { edges: ["192.0.2.3"], zones: { "example.net": "", "example.info": "" } } } }],
      ["bind.options", { ...s3, bind: { options: "minimal-responses yes;" } }],
    ];
    const before = annotations(named(await template([s3]), "Deployment", "em-edgemanage-bind"));
    for (const [what, values] of changes) assert.notDeepEqual(annotations(named(await template([values]), "Deployment", "em-edgemanage-bind")), before, what);
    const prober = (v: Record<string, unknown>) => template([{ ...v, mode: "deployment" }]).then((o) => annotations(named(o, "Deployment", "em-edgemanage-mynet")));
    assert.notDeepEqual(await prober(changes[0]![1]), await prober(s3));
  });
});

describe("chart: bind as a service to depend on", () => {
  test("two replicas, a PodDisruptionBudget, spread over nodes then zones, a priority class, probes on every container", async () => {
    const objs = await template([{ ...s3, bind: { priorityClassName: "dns-critical" } }]);
    const pdb = named(objs, "PodDisruptionBudget", "em-edgemanage-bind") as unknown as { spec: { minAvailable: number } };
    assert.equal(pdb.spec.minAvailable, 1);
    const d = named(objs, "Deployment", "em-edgemanage-bind") as unknown as { spec: { replicas: number } };
    assert.equal(d.spec.replicas, 2);
    const bind = podOf(named(objs, "Deployment", "em-edgemanage-bind"));
    assert.deepEqual(bind.topologySpreadConstraints!.map((t) => [t.topologyKey, t.whenUnsatisfiable]), [["kubernetes.io/hostname", "ScheduleAnyway"], ["topology.kubernetes.io/zone", "ScheduleAnyway"]]);
    assert.equal(bind.priorityClassName, "dns-critical");
    for (const c of bind.containers) assert.ok(c.livenessProbe, `${c.name} has a liveness probe`);
    assert.deepEqual(bind.containers.find((c) => c.name === "reloader")!.livenessProbe!.exec!.command.slice(-1), ["reloader"]);
    assert.deepEqual(byKind(await template([{ ...s3, bind: { replicas: 1 } }]), "PodDisruptionBudget"), [], "one replica: a budget would block every drain");
  });

  test("the NetworkPolicy admits DNS and the sidecar's metrics only; the image can be pinned by digest", async () => {
    const digest = `sha256:${"a".repeat(64)}`;
    const objs = await template([{ ...s3, bind: { networkPolicy: { enabled: true }, image: { digest } } }]);
    const np = named(objs, "NetworkPolicy", "em-edgemanage-bind") as unknown as { spec: { ingress: { ports: { port: number; protocol: string }[] }[] } };
    assert.deepEqual(np.spec.ingress.flatMap((i) => i.ports.map((p) => `${p.protocol}/${p.port}`)), ["UDP/5353", "TCP/5353", "TCP/9465"]);
    assert.ok(!JSON.stringify(np).includes("9530"), "the rndc port is never opened");
    const images = podOf(named(objs, "Deployment", "em-edgemanage-bind")).containers.map((c) => (c as unknown as { image: string }).image);
    assert.ok(images.includes(`internetsystemsconsortium/bind9:9.20@${digest}`), images.join());
  });

  test("bind.options cannot redefine a statement the chart writes: refused with the statement's name", async () => {
    for (const [options, statement] of [["allow-transfer { any; };", "allow-transfer"], ["recursion yes;", "recursion"], ["  listen-on port 53 { any; };", "listen-on"], ["notify yes;", "notify"]] as const) {
      const r = await rendered({ ...base, bind: { options } });
      assert.notEqual(r.code, 0, options);
      assert.match(r.stderr, new RegExp(`bind\\.options: '${statement}' is written by the chart`), options);
    }
    assert.equal((await rendered({ ...base, bind: { options: "minimal-responses yes;\nlisten-on-v6-extra-thing-is-not-a-statement yes;" } })).code, 0);
  });
});

describe("chart: every rendered named.conf passes named-checkconf", () => {
  const key = (name: string) => `key "${name}" {\n\talgorithm hmac-sha256;\n\tsecret "${Buffer.alloc(32, 7).toString("base64")}";\n};\n`;
  const valuesFiles = readdirSync(join(ROOT, "test/helm")).filter((f) => f.endsWith(".yaml")).map((f) => [`test/helm/${f}`, yaml.load(readFileSync(join(ROOT, "test/helm", f), "utf8")) as Record<string, unknown>] as [string, Record<string, unknown>]);
  const variants: [string, Record<string, unknown>][] = [
    ...valuesFiles.filter(([, v]) => (v.bind as { enabled?: boolean } | undefined)?.enabled !== false),
    ["defaults", base],
    ["s3 transport", s3],
    ["secondaries by address", { ...base, bind: { transfer: { secondaries: [{ address: "192.0.2.53" }, { address: "2001:db8::53", port: 5354 }] } } }],
    ["secondaries with TSIG", { ...base, bind: { transfer: { secondaries: [{ address: "192.0.2.53" }], tsig: { existingSecret: "xfer", keyName: "xfer-key" } } } }],
    ["extra options", { ...base, bind: { options: "minimal-responses yes;" } }],
  ];
  for (const [name, values] of variants) {
    test(name, async () => {
      requireTool("named-checkconf", "bind9-utils");
      const conf = data(named(await template([values]), "ConfigMap", "em-edgemanage-bind"))["named.conf"]!;
      // The pod's files, as named finds them: the config, the rndc key made at start, the TSIG Secret.
      const root = mkdtempSync(join(tmpdir(), "em-checkconf-"));
      try {
        for (const d of ["etc/bind/edgemanage", "etc/bind/rndc", "etc/bind/tsig", "var/cache/bind", "run/named"]) mkdirSync(join(root, d), { recursive: true });
        writeFileSync(join(root, "etc/bind/edgemanage/named.conf"), conf);
        writeFileSync(join(root, "etc/bind/rndc/rndc.key"), key("rndc-key"));
        writeFileSync(join(root, "etc/bind/tsig/tsig.key"), key("xfer-key"));
        const r = await run("named-checkconf", ["-t", root, "--", "/etc/bind/edgemanage/named.conf"]);
        assert.equal(r.code, 0, `${r.stdout}${r.stderr}\n${conf}`);
        if (name === "secondaries with TSIG") {
          assert.match(conf, /also-notify \{ 192\.0\.2\.53 key "xfer-key"; \};\n\s+allow-transfer \{ key "xfer-key"; \};/);
          // named-checkconf accepts an ACL naming an unknown key: the pod's tsig-check init container does not.
          const check = podOf(named(await template([values]), "Deployment", "em-edgemanage-bind")).initContainers!.find((c) => c.name === "tsig-check")!;
          const env = { PATH: process.env.PATH, KEY_NAME: "xfer-key", TSIG_KEY: join(root, "etc/bind/tsig/tsig.key") };
          assert.equal((await run(check.command![0]!, check.command!.slice(1), { env })).code, 0);
          writeFileSync(env.TSIG_KEY, key("another-name"));
          const wrong = await run(check.command![0]!, check.command!.slice(1), { env });
          assert.equal(wrong.code, 1);
          assert.match(wrong.stdout, /bind\.transfer\.tsig\.keyName is xfer-key, but .* \(Secret xfer\) defines another key: key "another-name" \{/);
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
});

describe("chart: DNSSEC keys", () => {
  test("the Secret of key pairs is mounted read-only in the CronJob pods only, and the configuration points at it", async () => {
    const objs = await template([{ ...s3, config: { dnssec: { enabled: true } }, dnssec: { existingSecret: "edgemanage-dnssec-mynet" } }]);
    for (const cj of byKind(objs, "CronJob")) {
      const p = podOf(cj);
      assert.equal(p.volumes.find((v) => v.name === "dnssec-keys")!.secret!.secretName, "edgemanage-dnssec-mynet");
      assert.deepEqual(p.containers[0]!.volumeMounts!.find((m) => m.name === "dnssec-keys"), { name: "dnssec-keys", mountPath: "/etc/edgemanage-dnssec", readOnly: true });
    }
    assert.ok(!podOf(named(objs, "Deployment", "em-edgemanage-bind")).volumes.some((v) => v.name === "dnssec-keys"), "bind pods never see the keys");
    const { config } = parseConfig(data(named(objs, "ConfigMap", "em-edgemanage-config"))["edgemanage.yaml"]!, "edgemanage.yaml");
    assert.equal(config.dnssec.enabled, true);
    assert.equal(config.dnssec.keys, "/etc/edgemanage-dnssec");
    const r = await rendered({ ...s3, config: { dnssec: { enabled: true } } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /config\.dnssec\.enabled: set dnssec\.existingSecret/);
  });
});

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import yaml from "js-yaml";
import { SCHEMA_FILE, schemaText } from "../src/chart/generate.js";
import { parseConfig } from "../src/config/load.js";
import { CHART, type K8sObject, byKind, helm, named, template, validateObject } from "./support/k8s.js";
import { NODE_FLAGS, ROOT } from "./support/tools.js";

const VALUES = (name: string) => join(ROOT, "test/helm", `${name}.yaml`);
const VALUES_FILES = ["two-networks", "s3-secret", "irsa", "bind-disabled", "existing-claim", "monitoring", "vantage"];

interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  readinessProbe?: { exec?: { command: string[] } };
  livenessProbe?: { exec?: { command: string[] } };
}
interface PodSpec {
  restartPolicy?: string;
  containers: Container[];
  initContainers?: Container[];
  securityContext?: Record<string, unknown>;
  serviceAccountName?: string;
  volumes: { name: string; persistentVolumeClaim?: { claimName: string; readOnly?: boolean }; secret?: { secretName: string } }[];
}
interface CronJob extends K8sObject {
  spec: {
    schedule: string;
    timeZone?: string;
    concurrencyPolicy: string;
    startingDeadlineSeconds: number;
    successfulJobsHistoryLimit: number;
    failedJobsHistoryLimit: number;
    jobTemplate: { spec: { backoffLimit: number; activeDeadlineSeconds: number; ttlSecondsAfterFinished: number; template: { spec: PodSpec } } };
  };
}
const pod = (cj: CronJob) => cj.spec.jobTemplate.spec.template.spec;
const deploymentPod = (d: K8sObject) => (d as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
const data = (cm: K8sObject) => (cm as unknown as { data: Record<string, string> }).data;

describe("helm chart", () => {
  test("helm lint --strict passes with the default values and with every example values file", async () => {
    for (const f of [null, ...VALUES_FILES]) {
      const r = await helm("lint", "--strict", CHART, ...(f ? ["-f", VALUES(f)] : []));
      assert.equal(r.code, 0, `${f ?? "defaults"}: ${r.stdout}${r.stderr}`);
    }
  });

  test("every rendered object is valid against the Kubernetes OpenAPI schemas and carries app.kubernetes.io labels", async () => {
    for (const f of [null, ...VALUES_FILES]) {
      const objs = await template(f ? [VALUES(f)] : []);
      assert.ok(objs.length >= 4, `${f}: ${objs.length} objects`);
      for (const o of objs) {
        await assert.doesNotReject(validateObject(o), `${f ?? "defaults"}: ${o.kind}/${o.metadata.name}`);
        for (const l of ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version", "app.kubernetes.io/managed-by"]) {
          assert.ok(o.metadata.labels?.[l], `${o.kind}/${o.metadata.name} lacks ${l}`);
        }
      }
    }
  });

  test("the OpenAPI validation really rejects a malformed object", async () => {
    const [cj] = byKind(await template([VALUES("s3-secret")]), "CronJob") as CronJob[];
    const broken = structuredClone(cj!);
    (broken.spec as unknown as Record<string, unknown>).concurrencyPolicy = 7;
    await assert.rejects(validateObject(broken), /concurrencyPolicy/);
  });

  test("one hardened CronJob per network, named within 52 characters", async () => {
    const objs = await template([VALUES("two-networks")]);
    const cronjobs = byKind(objs, "CronJob") as CronJob[];
    // Too long for 52 characters: cut, and made unique by a hash of the whole name.
    const long = "em-edgemanage-a-network-with-a-long-name-to-be-hashed1";
    const hashed = `${long.slice(0, 43)}-${createHash("sha256").update(long).digest("hex").slice(0, 8)}`;
    assert.deepEqual(cronjobs.map((c) => c.metadata.name).sort(), [hashed, "em-edgemanage-deflect"].sort());
    for (const cj of cronjobs) {
      assert.ok(cj.metadata.name.length <= 52, cj.metadata.name);
      assert.equal(cj.spec.schedule, "* * * * *");
      assert.equal(cj.spec.concurrencyPolicy, "Forbid");
      assert.ok(cj.spec.startingDeadlineSeconds >= 10);
      const job = cj.spec.jobTemplate.spec;
      assert.ok(job.activeDeadlineSeconds < 60, "a run ends before the next is due");
      assert.equal(job.backoffLimit, 0);
      assert.ok(job.ttlSecondsAfterFinished > 0);
      assert.ok(cj.spec.successfulJobsHistoryLimit <= 10 && cj.spec.failedJobsHistoryLimit <= 10);
      const p = pod(cj);
      assert.deepEqual(p.securityContext, { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } });
      const [c] = p.containers;
      assert.deepEqual(c!.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
      assert.deepEqual(c!.command, ["node", ...NODE_FLAGS, "/app/dist/bundle/cli/main.js"]);
      assert.deepEqual(c!.args?.slice(0, 2), ["-A", cj.metadata.labels!["edgemanage/network"]]);
      assert.ok(p.volumes.some((v) => v.name === "tmp"), "/tmp is an emptyDir for the lock");
      assert.ok(c!.volumeMounts!.some((m) => m.mountPath === "/var/lib/edgemanage" && !m.readOnly), "the zone volume is writable");
    }
  });

  test("the rendered edgemanage.yaml is a configuration the CLI accepts, with the chart's paths", async () => {
    const objs = await template([VALUES("two-networks")]);
    const text = data(named(objs, "ConfigMap", "em-edgemanage-config"))["edgemanage.yaml"]!;
    const { config, unknownKeys } = parseConfig(text, "edgemanage.yaml");
    assert.deepEqual(unknownKeys, []);
    assert.equal(config.named_dir, "/var/lib/edgemanage/zones");
    assert.equal(config.testobject.local, "testobject/object");
    assert.deepEqual(config.dnet_edge_count, { deflect: 2 });
    assert.equal(config.state.backend, "file");
    const net = data(named(objs, "ConfigMap", "em-edgemanage-net-deflect"));
    assert.equal(net.edges, "edge1.example.net\n192.0.2.10\n2001:db8::10\n");
    assert.equal(net["zone.example.com"], "www\tIN\tCNAME\texample.com.\n");
    assert.deepEqual(yaml.load(net["canaries.yaml"]!), { "example.com": "192.0.2.99" });
  });

  test("S3 state with an existing Secret: bucket in the config, credentials from the Secret", async () => {
    const objs = await template([VALUES("s3-secret")]);
    const { config } = parseConfig(data(named(objs, "ConfigMap", "em-edgemanage-config"))["edgemanage.yaml"]!, "edgemanage.yaml");
    assert.deepEqual(config.state, { backend: "s3", bucket: "edgemanage-state", key: "edgemanage/{dnet}.state.json.gz", region: "us-east-1", endpoint: "https://minio.example.net", force_path_style: true, on_unreadable: "fail", max_bytes: 20971520 });
    const env = pod(byKind(objs, "CronJob")[0] as CronJob).containers[0]!.env!;
    assert.deepEqual(
      env.map((e) => [e.name, e.valueFrom?.secretKeyRef?.name, e.valueFrom?.secretKeyRef?.key]),
      [
        ["AWS_ACCESS_KEY_ID", "edgemanage-s3", "AWS_ACCESS_KEY_ID"],
        ["AWS_SECRET_ACCESS_KEY", "edgemanage-s3", "AWS_SECRET_ACCESS_KEY"],
      ],
    );
    assert.equal((named(objs, "ConfigMap", "em-edgemanage-testobject") as unknown as { binaryData: Record<string, string> }).binaryData.testobject, "ZWRnZW1hbmFnZSB0ZXN0IG9iamVjdAo=");
  });

  test("IRSA: the role annotation on the service account, no credentials in the pod, the test object from an existing ConfigMap", async () => {
    const objs = await template([VALUES("irsa")]);
    const sa = named(objs, "ServiceAccount", "em-edgemanage");
    assert.equal(sa.metadata.annotations?.["eks.amazonaws.com/role-arn"], "arn:aws:iam::111122223333:role/edgemanage");
    const cj = byKind(objs, "CronJob")[0] as CronJob;
    assert.equal(cj.spec.timeZone, "Etc/UTC");
    assert.equal(pod(cj).serviceAccountName, "em-edgemanage");
    assert.equal(pod(cj).containers[0]!.env, undefined);
    assert.ok(!objs.some((o) => o.metadata.name === "em-edgemanage-testobject"));
    assert.match(JSON.stringify(pod(cj).volumes), /"name":"my-test-object","items":\[\{"key":"object.bin","path":"testobject\/object"\}\]/);
  });

  test("bind disabled: no bind objects; an existing claim and rndc Secret are used, not created", async () => {
    const off = await template([VALUES("bind-disabled")]);
    assert.deepEqual(off.map((o) => o.kind).sort(), ["ConfigMap", "ConfigMap", "ConfigMap", "CronJob", "PersistentVolumeClaim", "ServiceAccount"]);
    const objs = await template([VALUES("existing-claim")]);
    assert.ok(!byKind(objs, "PersistentVolumeClaim").length);
    assert.ok(!byKind(objs, "Secret").length);
    const bind = deploymentPod(named(objs, "Deployment", "em-edgemanage-bind"));
    assert.deepEqual(bind.volumes.find((v) => v.name === "data")?.persistentVolumeClaim, { claimName: "shared-zones", readOnly: true });
    assert.equal(bind.volumes.find((v) => v.name === "rndc-key")?.secret?.secretName, "my-rndc-key");
    assert.equal(pod(byKind(objs, "CronJob")[0] as CronJob).volumes.find((v) => v.name === "data")?.persistentVolumeClaim?.claimName, "shared-zones");
    const svc = named(objs, "Service", "em-edgemanage-dns") as unknown as { spec: { type: string; ports: { port: number; protocol: string; targetPort: string }[] } };
    assert.equal(svc.spec.type, "LoadBalancer");
    assert.deepEqual(svc.spec.ports.map((p) => `${p.port}/${p.protocol}->${p.targetPort}`), ["53/UDP->dns-udp", "53/TCP->dns-tcp"]);
  });

  test("the bind pod runs named non-root on an unprivileged port, with the zone volume read-only", async () => {
    const objs = await template([VALUES("two-networks")]);
    const p = deploymentPod(named(objs, "Deployment", "em-edgemanage-bind"));
    assert.deepEqual(p.securityContext, { runAsNonRoot: true, runAsUser: 100, runAsGroup: 101, fsGroup: 101, seccompProfile: { type: "RuntimeDefault" } });
    const namedC = p.containers.find((c) => c.name === "named")!;
    assert.ok(!namedC.command!.includes("-u"), "named is not asked to drop privileges it does not have");
    assert.deepEqual(namedC.readinessProbe?.exec?.command.slice(-1), ["ready"]);
    for (const c of [...p.containers, ...p.initContainers!]) {
      assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } }, c.name);
      for (const m of c.volumeMounts ?? []) if (m.name === "data") assert.equal(m.readOnly, true, `${c.name} mounts the zone volume read-only`);
    }
    const conf = data(named(objs, "ConfigMap", "em-edgemanage-bind"))["named.conf"]!;
    assert.match(conf, /listen-on port 5353 \{ any; \};/);
    assert.match(conf, /controls \{\n\s+inet 127\.0\.0\.1 port 9530 allow \{ 127\.0\.0\.1; \} keys \{ "rndc-key"; \};/);
    assert.deepEqual([...conf.matchAll(/zone "([^"]+)"/g)].map((m) => m[1]), ["example.com", "example.net", "example.org"]);
    // No Secret: the key is made at pod start, into memory.
    assert.deepEqual(byKind(objs, "Secret"), []);
    assert.match(p.initContainers!.find((c) => c.name === "rndc-keygen")!.command!.join(" "), /tsig-keygen -a hmac-sha256 rndc-key > \/etc\/bind\/rndc\/rndc\.key/);
  });

  test("the helm test hook asks the DNS Service for every zone's SOA", async () => {
    const objs = await template([VALUES("two-networks")]);
    const t = named(objs, "Pod", "em-edgemanage-test-dns");
    assert.equal(t.metadata.annotations?.["helm.sh/hook"], "test");
    const env = (t as unknown as { spec: PodSpec }).spec.containers[0]!.env!;
    assert.deepEqual(Object.fromEntries(env.map((e) => [e.name, e.value])), { ZONES: "example.com example.net example.org", SERVER: "em-edgemanage-dns.dns.svc", PORT: "53" });
  });

  test("a helm test pod per network runs edgemanage check served against the DNS Service, with the prober's configuration", async () => {
    const objs = await template([VALUES("two-networks")]);
    const t = named(objs, "Pod", "em-edgemanage-test-served-deflect") as unknown as K8sObject & { spec: PodSpec };
    assert.equal(t.metadata.annotations?.["helm.sh/hook"], "test");
    assert.equal(t.spec.restartPolicy, "Never");
    assert.deepEqual(t.spec.containers[0]!.args, ["check", "served", "-A", "deflect", "--config", "/etc/edgemanage/edgemanage.yaml", "--server", "em-edgemanage-dns.dns.svc:53"]);
    assert.deepEqual(t.spec.volumes.map((v) => v.name), pod(named(objs, "CronJob", "em-edgemanage-deflect") as CronJob).volumes.map((v) => v.name));
    const { config } = parseConfig(data(named(objs, "ConfigMap", "em-edgemanage-config"))["edgemanage.yaml"]!, "edgemanage.yaml");
    assert.equal(config.metrics.dns_server, "em-edgemanage-dns.dns.svc:53", "every run exports the served serial");
  });

  test("a zone listed under two networks is refused: one owner per zone file", async () => {
    const r = await helm("template", "em", CHART, "--set", "testObject.content=x", "--set-json", 'networks={"a":{"edges":["192.0.2.1"],"zones":{"example.com":""}},"b":{"edges":["192.0.2.2"],"zones":{"example.com":""}}}');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /networks: zone example\.com is listed under networks a and b; a zone has one owner: list it under one network only/);
  });

  test("vantage.* values become the configuration's vantage section, and need the S3 state", async () => {
    const objs = await template([VALUES("vantage")]);
    const { config } = parseConfig(data(named(objs, "ConfigMap", "em-edgemanage-config"))["edgemanage.yaml"]!, "edgemanage.yaml");
    assert.deepEqual(config.vantage, { name: "eu-west", peers: ["eu-west", "us-east", "ap-south"], stale_after: 150, interval: 60, quorum: 2, observations_key: "edgemanage/{dnet}/observations/{vantage}.json.gz" });
    const r = await helm("template", "em", CHART, "--set", "vantage.name=x", "--set-json", 'networks={"n":{"edges":["192.0.2.1"],"zones":{}}}', "--set", "testObject.content=x");
    assert.match(r.stderr, /vantage\.name is set: several vantage points need state\.s3\.bucket/);
  });

  test("NOTES.txt tells how to see the runs, a plan, the live set and the DNS service", async () => {
    const r = await helm("install", "em", CHART, "--dry-run=client", "--namespace", "dns", "-f", VALUES("two-networks"));
    assert.equal(r.code, 0, r.stderr);
    const notes = r.stdout.slice(r.stdout.indexOf("NOTES:"));
    assert.match(notes, /deflect: CronJob em-edgemanage-deflect, zones: example\.com, example\.org/);
    assert.match(notes, /kubectl -n dns get jobs -l app\.kubernetes\.io\/instance=em,app\.kubernetes\.io\/component=prober/);
    assert.match(notes, /create job --from=cronjob\/em-edgemanage-deflect plan-deflect/);
    assert.match(notes, /dig @em-edgemanage-dns\.dns\.svc ZONE A/);
    assert.match(notes, /helm test em -n dns/);
    assert.match(notes, /\.args = \["edge-conf","-A","deflect","-c","\/etc\/edgemanage\/edgemanage\.yaml","--mode","unavailable","--comment","WHY","EDGE"\]/);
    assert.match(notes, /\.args = \["query","-A","deflect",/);
    const s3 = await helm("install", "em", CHART, "--dry-run=client", "--namespace", "dns", "-f", VALUES("s3-secret"));
    assert.match(s3.stdout, /edgemanage edge-conf -A NETWORK --state-url s3:\/\/edgemanage-state\/edgemanage\?path_style=true --mode unavailable --comment WHY EDGE/);
    assert.match(s3.stdout, /AWS_ENDPOINT_URL_S3=https:\/\/minio\.example\.net/);
  });

  test("the schema refuses bad values with a readable message", async () => {
    const cases: [string[], RegExp][] = [
      [["--set", "networks=oops"], /at '\/networks': got string, want object/],
      [["--set", "config.goodenuff=0.5"], /at '\/config': additional properties 'goodenuff' not allowed/],
      [["--set", "config.named_dir=/zones"], /at '\/config': additional properties 'named_dir' not allowed/],
      [["--set", "bind.port=53"], /at '\/bind\/port': minimum: got 53, want 1,024/],
      [["--set-json", 'networks={"mynet":{"zones":{}}}'], /at '\/networks\/mynet': missing property 'edges'/],
      [["--set-json", 'networks={"mynet":{"edges":["192.0.2.1","0.0.0.0"],"zones":{}}}'], /at '\/networks\/mynet\/edges\/1'/],
      [["--set-json", 'networks={"mynet":{"edges":["fe80::1%eth0"],"zones":{}}}'], /at '\/networks\/mynet\/edges\/0'/],
    ];
    for (const [args, message] of cases) {
      const r = await helm("template", "em", CHART, ...args);
      assert.notEqual(r.code, 0, args.join(" "));
      assert.match(r.stderr, message, `${args.join(" ")}:\n${r.stderr}`);
      console.log(`# helm template ${args.join(" ")} →\n#   ${r.stderr.trim().split("\n").join("\n#   ")}`);
    }
    const noObject = await helm("template", "em", CHART, "--set-json", 'networks={"mynet":{"edges":["192.0.2.1"],"zones":{}}}');
    assert.match(noObject.stderr, /testObject: set content, contentBase64 or existingConfigMap/);
  });

  test("values.schema.json is generated from the CLI's zod schema and is up to date (npm run gen:chart)", () => {
    assert.equal(readFileSync(SCHEMA_FILE, "utf8"), schemaText(), "helm/edgemanage/values.schema.json is stale: run npm run gen:chart");
  });
});

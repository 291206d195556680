import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { MONITORING_DIR, PLAIN_DIRS } from "./support/k8s-base.js";
import { type K8sObject, kubectl, parseObjects, template, validateObject } from "./support/k8s.js";
import { ROOT, requireTool, run } from "./support/tools.js";

const ids = (objs: K8sObject[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();

describe("plain manifests (k8s/)", () => {
  test("k8s/base and k8s/monitoring are the chart's output for k8s/values.yaml, up to date (npm run gen:k8s)", async () => {
    for (const [dir, render] of PLAIN_DIRS) {
      const files = await render();
      assert.deepEqual(readdirSync(dir).sort(), [...files.keys()].sort());
      for (const [name, text] of files) assert.equal(readFileSync(join(dir, name), "utf8"), text, `${dir}/${name} is stale: run npm run gen:k8s`);
    }
  });

  test("kubectl kustomize k8s/monitoring: a valid PrometheusRule and the dashboard ConfigMap", async () => {
    const r = await kubectl("kustomize", MONITORING_DIR);
    assert.equal(r.code, 0, r.stderr);
    const objs = parseObjects(r.stdout);
    for (const o of objs) await validateObject(o);
    assert.deepEqual(ids(objs), ["ConfigMap/edgemanage-dashboard", "PrometheusRule/edgemanage"]);
  });

  test("kubectl kustomize k8s/base renders the chart's objects, each valid against the OpenAPI schemas", async () => {
    const r = await kubectl("kustomize", join(ROOT, "k8s/base"));
    assert.equal(r.code, 0, r.stderr);
    const objs = parseObjects(r.stdout);
    for (const o of objs) await validateObject(o);
    const chart = (await template([join(ROOT, "k8s/values.yaml")], "edgemanage")).filter((o) => !o.metadata.annotations?.["helm.sh/hook"]);
    assert.deepEqual(ids(objs), ids(chart));
    for (const o of objs) assert.equal(o.metadata.labels?.["app.kubernetes.io/managed-by"], "kustomize");
  });

  test("the example overlay: namespace, image, edge list, include file, test object and Secrets", async () => {
    requireTool("tsig-keygen", "bind9");
    const dir = mkdtempSync(join(tmpdir(), "em-kustomize-"));
    try {
      cpSync(join(ROOT, "k8s"), dir, { recursive: true });
      const overlay = join(dir, "overlays/example");
      // The secret files the overlay's comment tells the operator to make.
      const key = await run("tsig-keygen", ["-a", "hmac-sha256", "rndc-key"]);
      writeFileSync(join(overlay, "rndc.key"), key.stdout);
      writeFileSync(join(overlay, "s3.env"), "AWS_ACCESS_KEY_ID=AKIAEXAMPLE\nAWS_SECRET_ACCESS_KEY=secret\n");
      const r = await kubectl("kustomize", overlay);
      assert.equal(r.code, 0, r.stderr);
      const objs = parseObjects(r.stdout);
      for (const o of objs) await validateObject(o);
      for (const o of objs) assert.equal((o.metadata as { namespace?: string }).namespace, "dns", `${o.kind}/${o.metadata.name}`);
      const byName = (kind: string, name: string) => {
        const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
        assert.ok(o, `${kind}/${name} is rendered`);
        return o as K8sObject & { data: Record<string, string> };
      };
      assert.match(JSON.stringify(byName("CronJob", "edgemanage-mynet")), /"image":"registry\.example\.net\/edgemanage:2\.0\.0"/);
      const net = byName("ConfigMap", "edgemanage-net-mynet").data;
      assert.match(net.edges!, /198\.51\.100\.7/);
      assert.match(net["zone.example.com"]!, /@\tIN\tMX\t10 mail/);
      const rndc = byName("Secret", "edgemanage-rndc").data;
      assert.match(Buffer.from(rndc["rndc.key"]!, "base64").toString(), /key "rndc-key" \{\n\s+algorithm hmac-sha256;/);
      assert.deepEqual(Object.keys(byName("Secret", "edgemanage-s3").data).sort(), ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
      assert.equal(byName("ConfigMap", "edgemanage-testobject").data.testobject, "edgemanage test object\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

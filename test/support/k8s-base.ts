import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import yaml from "js-yaml";
import { type K8sObject, template } from "./k8s.js";
import { ROOT } from "./tools.js";

/**
 * k8s/base: the chart's objects for the example network of k8s/values.yaml, as plain manifests.
 * `npm run gen:k8s` writes them; a test fails when the committed files are stale.
 */
export const BASE_DIR = join(ROOT, "k8s/base");

/** Helm's own labels and the test hook mean nothing outside Helm. */
function plain(o: K8sObject): K8sObject {
  const labels = (l: Record<string, string> | undefined) => {
    if (!l) return l;
    const { "helm.sh/chart": _chart, ...rest } = l;
    return rest["app.kubernetes.io/managed-by"] ? { ...rest, "app.kubernetes.io/managed-by": "kustomize" } : rest;
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== "object") return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === "labels" ? labels(x as Record<string, string>) : walk(x)]));
  };
  return walk(o) as K8sObject;
}

export async function renderBase(): Promise<Map<string, string>> {
  const objs = (await template([join(ROOT, "k8s/values.yaml")], "edgemanage")).filter((o) => !o.metadata.annotations?.["helm.sh/hook"]);
  const files = new Map<string, string>();
  for (const o of objs) files.set(`${o.kind.toLowerCase()}-${o.metadata.name}.yaml`, yaml.dump(plain(o), { lineWidth: -1, noRefs: true }));
  const resources = [...files.keys()].sort();
  const header = "# Generated from helm/edgemanage with k8s/values.yaml by `npm run gen:k8s`: edit those, not this.\n";
  files.set("kustomization.yaml", `${header}${yaml.dump({ apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources })}`);
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = await renderBase();
  for (const f of readdirSync(BASE_DIR)) rmSync(join(BASE_DIR, f));
  for (const [name, text] of files) writeFileSync(join(BASE_DIR, name), text);
  process.stdout.write(`wrote ${files.size} files to ${BASE_DIR}\n`);
}

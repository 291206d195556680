import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import yaml from "js-yaml";
import { type K8sObject, template } from "./k8s.js";
import { ROOT } from "./tools.js";

/**
 * k8s/base: the chart's objects for the example network of k8s/values.yaml, as plain manifests;
 * k8s/monitoring: the alert rules and the dashboard, as plain files and as objects.
 * `npm run gen:k8s` writes them; a test fails when the committed files are stale.
 */
export const BASE_DIR = join(ROOT, "k8s/base");
export const MONITORING_DIR = join(ROOT, "k8s/monitoring");
const GENERATED = "# Generated from helm/edgemanage with k8s/values.yaml by `npm run gen:k8s`: edit those, not this.\n";

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

async function kustomizeDir(objs: K8sObject[], extra: Map<string, string> = new Map()): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const o of objs) files.set(`${o.kind.toLowerCase()}-${o.metadata.name}.yaml`, yaml.dump(plain(o), { lineWidth: -1, noRefs: true }));
  const resources = [...files.keys()].sort();
  files.set("kustomization.yaml", `${GENERATED}${yaml.dump({ apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources })}`);
  for (const [k, v] of extra) files.set(k, v);
  return files;
}

export async function renderBase(): Promise<Map<string, string>> {
  const objs = (await template([join(ROOT, "k8s/values.yaml")], "edgemanage")).filter((o) => !o.metadata.annotations?.["helm.sh/hook"]);
  return kustomizeDir(objs);
}

/** The PrometheusRule and the dashboard ConfigMap, and the same rules and dashboard as plain files. */
export async function renderMonitoring(): Promise<Map<string, string>> {
  const objs = await template([join(ROOT, "k8s/values.yaml"), { metrics: { prometheusRule: { enabled: true }, dashboard: { enabled: true } } }], "edgemanage");
  const files = join(ROOT, "helm/edgemanage/files");
  const rule = objs.find((o) => o.kind === "PrometheusRule") as unknown as { spec: unknown };
  return kustomizeDir(
    objs.filter((o) => o.kind === "PrometheusRule" || o.metadata.name === "edgemanage-dashboard"),
    new Map([
      // The rules as rendered for k8s/values.yaml's networks and thresholds: a plain Prometheus rule file.
      ["edgemanage.rules.yml", `# Generated from the chart for k8s/values.yaml (npm run gen:k8s).\n${yaml.dump(rule.spec, { lineWidth: -1 })}`],
      ["dashboard.json", readFileSync(join(files, "dashboard.json"), "utf8")],
    ]),
  );
}

export const PLAIN_DIRS: [string, () => Promise<Map<string, string>>][] = [
  [BASE_DIR, renderBase],
  [MONITORING_DIR, renderMonitoring],
];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [dir, render] of PLAIN_DIRS) {
    const files = await render();
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) rmSync(join(dir, f));
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
    process.stdout.write(`wrote ${files.size} files to ${dir}\n`);
  }
}

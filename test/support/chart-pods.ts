import assert from "node:assert/strict";
import { type K8sObject, byKind } from "./k8s.js";
import type { ImageStandIn, PodObjects, PodSpec } from "./pod.js";
import { ROOT } from "./tools.js";

/** The images of the chart's pods, as the host stands in for them (see support/pod.ts). */
export const IMAGES: Record<string, ImageStandIn> = {
  // The edgemanage image: this checkout at /app, this Node.js as `node`, the Dockerfile's env.
  edgemanage: {
    env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NODE_ENV: "production" },
    binds: [
      [ROOT, "/app"],
      [process.execPath, "/usr/local/bin/node"],
    ],
  },
  // The bind image: Debian's named, rndc, named-checkzone, tsig-keygen and dig stand in for ISC's.
  bind: { env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" }, binds: [] },
};

/** The chart's `config` for runs against loopback edges on `port`: fast timeouts, every zone checked. */
export const e2eConfig = (port: number) => ({
  testobject: { host: "test.example.org", port, proto: "http", uri: "/edgemanage.object", verify: false },
  dns: { ns_records: ["ns1.example.net."], soa_nameserver: "ns1.example.net.", soa_mailbox: "hostmaster.example.net.", rotate_zones: ["www"] },
  goodenough: 0.3,
  edge_count: 2,
  timeout: 2,
  run_deadline: 10,
  retry: 1,
  zone_check: "always",
});

/** The pod template of a rendered CronJob, Deployment or Pod. */
export function podOf(o: K8sObject): PodSpec {
  if (o.kind === "CronJob") return (o as unknown as { spec: { jobTemplate: { spec: { template: { spec: PodSpec } } } } }).spec.jobTemplate.spec.template.spec;
  if (o.kind === "Pod") return (o as unknown as { spec: PodSpec }).spec;
  return (o as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
}

/** The rendered ConfigMaps and Secrets, the claims' host folders, and Secrets the operator would have made (text values). */
export function objectsOf(objs: K8sObject[], claims: Map<string, string>, extraSecrets: Record<string, Record<string, string>>): PodObjects {
  const configMaps = new Map(byKind(objs, "ConfigMap").map((c) => [c.metadata.name, c as unknown as { data?: Record<string, string>; binaryData?: Record<string, string> }]));
  const secrets = new Map(byKind(objs, "Secret").map((s) => [s.metadata.name, (s as unknown as { data: Record<string, string> }).data]));
  for (const [name, data] of Object.entries(extraSecrets)) secrets.set(name, Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])));
  return { configMaps, secrets, claims };
}

/** Polls `get` until `ok` (every 200 ms, at most `ms`); the failure names what was awaited and what the pods said. */
export async function waitFor<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000, diagnostics: () => string = () => ""): Promise<{ value: T; seconds: number }> {
  const start = Date.now();
  let value = await get();
  while (!ok(value) && Date.now() - start < ms) {
    await new Promise((r) => setTimeout(r, 200));
    value = await get();
  }
  assert.ok(ok(value), `${what}: not within ${ms / 1000}s (last: ${JSON.stringify(value)})\n${diagnostics()}`);
  return { value, seconds: (Date.now() - start) / 1000 };
}

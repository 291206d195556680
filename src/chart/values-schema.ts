import * as z from "zod";
import { ConfigSchema, DnssecFields, TestObjectFields } from "../config/schema.js";

/**
 * The Helm chart's values.schema.json. Its `config` part comes from the zod schema the CLI validates
 * with, so the chart and the program cannot disagree about a setting; the rest describes the chart.
 */

/** Settings the chart fills in itself (paths inside the pod, the state, per-network counts). */
export const CHART_OWNED_KEYS = [
  "healthdata_store",
  "edgelist_dir",
  "extra_edgelist_dir",
  "statefile",
  "logpath",
  "lockfile",
  "zonetemplate_dir",
  "named_dir",
  "live_list",
  "canary_files",
  "zone_template",
  "dnet_edge_count",
  "state",
  "zone_transport",
] as const;

const omitted = Object.fromEntries(CHART_OWNED_KEYS.map((k) => [k, true])) as { [K in (typeof CHART_OWNED_KEYS)[number]]: true };

/** `config:` in values: every CLI setting but those the chart owns; testobject.local comes from `testObject`. */
export const ChartConfigSchema = ConfigSchema.omit(omitted).extend({ testobject: TestObjectFields.omit({ local: true }), dnssec: DnssecFields.omit({ keys: true }).partial().optional() });

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** Draft-7 JSON Schema (Helm 3 and 4 both read it), closed objects so a misspelt key is refused. */
function tidy(node: Json): Json {
  if (Array.isArray(node)) return node.map(tidy);
  if (node === null || typeof node !== "object") return node;
  const out: Obj = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "$schema" || k === "format") continue;
    if ((k === "maximum" && v === Number.MAX_SAFE_INTEGER) || (k === "minimum" && v === Number.MIN_SAFE_INTEGER)) continue;
    out[k] = tidy(v);
  }
  if (out.type === "object" && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

export function configJsonSchema(): Obj {
  return tidy(z.toJSONSchema(ChartConfigSchema, { io: "input", target: "draft-7", unrepresentable: "any" }) as Json) as Obj;
}

const str = { type: "string" };
const bool = { type: "boolean" };
const int = (minimum = 0): Obj => ({ type: "integer", minimum });
const strMap: Obj = { type: "object", additionalProperties: str };
const anyObj: Obj = { type: "object" };
const list = (items: Obj = anyObj): Obj => ({ type: "array", items });
const closed = (properties: Obj, required: string[] = []): Obj => ({ type: "object", additionalProperties: false, properties, ...(required.length ? { required } : {}) });
const image = closed({ repository: { type: "string", minLength: 1 }, tag: str, pullPolicy: { enum: ["Always", "IfNotPresent", "Never"] } });
const podPlacement: Obj = { nodeSelector: strMap, tolerations: list(), affinity: anyObj, podAnnotations: strMap, podLabels: strMap };
/** Network names become part of object names: a DNS-1123 label short enough for a CronJob name. */
const NETWORK_NAME = "^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$";
/** As the CLI takes a zone's name from its include file: RFC 1035 labels, no leading '-'. */
const DOMAIN = "^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$";
/** Edges no client can be served (the CLI's parse refuses them too): 0/8, 224/3, broadcast, ::, multicast, v4-mapped, link-local, a zone id. */
const UNSERVABLE = "%|^0\\.|^2(2[4-9]|[3-5][0-9])\\.|^::$|^[fF][fF][0-9a-fA-F]{0,2}:|^::[fF]{4}:|^[fF][eE][89aAbB][0-9a-fA-F]:";

const network = closed(
  {
    edges: { ...list({ type: "string", minLength: 1, not: { pattern: UNSERVABLE } }), minItems: 1 },
    zones: { type: "object", propertyNames: { pattern: DOMAIN }, additionalProperties: str },
    canaries: { type: "object", propertyNames: { pattern: DOMAIN }, additionalProperties: { type: "string", minLength: 2 } },
    edgeCount: int(1),
  },
  ["edges", "zones"],
);

export function valuesJsonSchema(): Obj {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "edgemanage chart values",
    type: "object",
    additionalProperties: false,
    properties: {
      global: anyObj,
      nameOverride: str,
      fullnameOverride: str,
      image,
      imagePullSecrets: list(closed({ name: str }, ["name"])),
      serviceAccount: closed({ create: bool, name: str, annotations: strMap }),
      schedule: { type: "string", minLength: 9 },
      timeZone: str,
      startingDeadlineSeconds: int(10),
      activeDeadlineSeconds: int(1),
      successfulJobsHistoryLimit: int(0),
      failedJobsHistoryLimit: int(0),
      ttlSecondsAfterFinished: int(0),
      podSecurityContext: anyObj,
      securityContext: anyObj,
      resources: anyObj,
      ...podPlacement,
      extraEnv: list(),
      extraArgs: list(str),
      mode: { enum: ["cronjob", "deployment"] },
      metrics: closed({
        port: { type: "integer", minimum: 1024, maximum: 65535 },
        serviceMonitor: closed({ enabled: bool, interval: str, labels: strMap }),
        prometheusRule: closed({ enabled: bool, labels: strMap }),
        alerts: closed({ latencySeconds: { type: "number", minimum: 0 }, rotationsPerHour: int(1), staleAfterSeconds: int(60), neverReportedFor: { type: "string", pattern: "^[0-9]+[smh]$" }, certWarnDays: { type: "number", minimum: 0 } }),
        dashboard: closed({ enabled: bool, labels: strMap, annotations: strMap }),
      }),
      networks: { type: "object", propertyNames: { pattern: NETWORK_NAME }, additionalProperties: network },
      config: configJsonSchema(),
      testObject: closed({ content: str, contentBase64: str, existingConfigMap: str, key: { type: "string", minLength: 1 } }),
      state: closed({
        s3: closed({ bucket: str, key: { type: "string", minLength: 1 }, region: { type: "string", minLength: 1 }, endpoint: str, forcePathStyle: bool, onUnreadable: { enum: ["fail", "start_empty"] } }),
        existingSecret: str,
      }),
      vantage: closed({
        name: { type: "string", pattern: "^([A-Za-z0-9][A-Za-z0-9_.-]*)?$" },
        peers: list({ type: "string", minLength: 1 }),
        staleAfter: { type: "number", exclusiveMinimum: 0 },
        quorum: int(0),
        interval: int(1),
      }),
      dnssec: closed({ existingSecret: str }),
      zones: closed({
        transport: { enum: ["", "s3", "volume"] },
        pull: closed({ intervalSeconds: { type: "integer", minimum: 1, maximum: 3600 }, port: { type: "integer", minimum: 1024, maximum: 65535 }, resources: anyObj }),
        persistence: closed({ existingClaim: str, storageClass: str, accessModes: { ...list({ enum: ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"] }), minItems: 1 }, size: { type: "string", minLength: 1 } }),
      }),
      bind: closed({
        enabled: bool,
        replicas: int(0),
        image: closed({ repository: { type: "string", minLength: 1 }, tag: str, digest: { type: "string", pattern: "^(sha256:[0-9a-f]{64})?$" }, pullPolicy: { enum: ["Always", "IfNotPresent", "Never"] } }),
        podDisruptionBudget: closed({ enabled: bool, minAvailable: int(0) }),
        topologySpread: bool,
        priorityClassName: str,
        networkPolicy: closed({ enabled: bool, metricsFrom: list() }),
        transfer: closed({
          secondaries: list(closed({ address: { type: "string", pattern: "^[0-9A-Fa-f.:]+$" }, port: { type: "integer", minimum: 1, maximum: 65535 } }, ["address"])),
          tsig: closed({ existingSecret: str, keyName: { type: "string", pattern: "^([A-Za-z0-9][A-Za-z0-9._-]*)?$" } }),
        }),
        port: { type: "integer", minimum: 1024, maximum: 65535 },
        service: closed({ type: { enum: ["ClusterIP", "NodePort", "LoadBalancer"] }, port: { type: "integer", minimum: 1, maximum: 65535 }, annotations: strMap, loadBalancerIP: str, externalTrafficPolicy: { enum: ["", "Cluster", "Local"] } }),
        rndc: closed({ existingSecret: str, port: { type: "integer", minimum: 1024, maximum: 65535 } }),
        reload: closed({ intervalSeconds: { type: "integer", minimum: 1, maximum: 8 } }),
        options: str,
        podSecurityContext: anyObj,
        securityContext: anyObj,
        resources: anyObj,
        ...podPlacement,
      }),
    },
  };
}

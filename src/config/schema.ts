import { isIP } from "node:net";
import * as z from "zod";
import { parseServer } from "../util/server.js";

/** How rendered zones are checked before they are written: README "Zone check". */
export const ZONE_CHECK_MODES = ["auto", "always", "never"] as const;
export type ZoneCheckMode = (typeof ZONE_CHECK_MODES)[number];

/** A DNS name written as bind expects in RDATA: fully qualified, with the trailing dot. */
const fqdn = z
  .string()
  .regex(/^([A-Za-z0-9_*]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)+$/, {
    message: "expected a fully-qualified DNS name ending with '.', e.g. 'ns1.example.com.' (add the trailing dot)",
  });

/** `{dnet}` may appear in paths that are per network. */
const path = z.string().min(1, { message: "expected a non-empty path" });

/** Classic configs leave command lists empty (`run_after:` with nothing) which YAML reads as null. */
const commandList = z
  .array(z.string().min(1))
  .nullish()
  .transform((v) => v ?? []);

/** Seconds as whole milliseconds: timers take whole milliseconds, and 2.0001 s is 2 s. */
const seconds = (max: number) => z.number().positive().max(max).transform((v) => Math.max(0.001, Math.round(v * 1000) / 1000));

export const TestObjectFields = z.object({
  /** Sent as the Host header and the TLS SNI name: a host name, with an optional port. */
  // No look-ahead: the chart's values schema carries this pattern, and Helm's regular expressions are RE2.
  host: z
    .string()
    .max(259)
    .regex(/^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?(:\d{1,5})?$/, { message: "expected the host name of the test object (the Host header and TLS SNI name), e.g. www.example.org or www.example.org:8080" }),
  port: z.number().int().min(1).max(65535).optional(),
  proto: z.enum(["http", "https"]).default("http"),
  // Sent as is in the request line: no spaces or control characters (percent-encode them).
  uri: z
    .string()
    .max(2048)
    .regex(/^\/[\x21-\x7e]*$/, { message: "expected a path starting with '/', without spaces or control characters (percent-encode them, e.g. %20)" }),
  local: path,
  verify: z.boolean().default(true),
  /** Upper bound on the bytes read from an edge; a larger body fails the probe. */
  max_bytes: z.number().int().positive().default(10 * 1024 * 1024),
});

export const TestObjectSchema = TestObjectFields.transform((t) => ({ ...t, port: t.port ?? (t.proto === "https" ? 443 : 80) }));

export const DnsSchema = z.object({
  ns_records: z.array(fqdn).min(1, { message: "expected at least one NS record" }),
  soa_nameserver: fqdn,
  soa_mailbox: fqdn,
  rotate_zones: z
    .array(z.string().regex(/^[A-Za-z0-9_*]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/, { message: "expected a relative label such as 'www'" }))
    .nullish()
    .transform((v) => v ?? []),
  /** TTL of the A/AAAA records (and of the SOA and NS): how long resolvers may keep a dropped edge. */
  ttl: z.number().int().min(1).max(86_400).default(300),
});

export const StateConfigSchema = z
  .object({
    /** `file` keeps using `statefile`; `s3` keeps one object per network in a bucket. */
    backend: z.enum(["file", "s3"]).default("file"),
    bucket: z.string().min(3).optional(),
    key: z.string().min(1).default("edgemanage/{dnet}.state.json.gz"),
    endpoint: z.string().url().optional(),
    region: z.string().min(1).default("us-east-1"),
    force_path_style: z.boolean().default(false),
    /** What to do when the stored state cannot be read correctly; see README "State faults". */
    on_unreadable: z.enum(["fail", "start_empty"]).default("fail"),
    /** A stored state larger than this (bytes, as stored) is refused before it is parsed. */
    /** 20 MiB keeps a run under the chart's 512 MiB (about 1000 edges with full history): README "Memory". */
    max_bytes: z.number().int().min(1024).max(512 * 1024 * 1024).default(20 * 1024 * 1024),
  })
  .refine((s) => s.backend !== "s3" || s.bucket !== undefined, {
    message: "state.backend is s3 but state.bucket is missing: add the bucket name",
    path: ["bucket"],
  });

/** The mass-failure guard: README "How a decision is made". */
export const GuardSchema = z.object({
  /** URLs that should always answer from where the prober runs; probed every run, never published. */
  control: z.array(z.string().url()).default([]),
  max_failing_fraction: z.number().gt(0).max(1).default(0.5),
  max_frozen_runs: z.number().int().min(0).default(5),
});

/** Several vantage points deciding together through the state bucket: README "Several vantage points". */
export const VantageSchema = z
  .object({
    /** This prober's name (this cluster's). */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { message: "expected a name of letters, digits, '.', '_' and '-'" }),
    /** Every vantage's name, this one's included. */
    peers: z.array(z.string().min(1)).min(1),
    /** Observations older than this many seconds are ignored. */
    stale_after: z.number().positive().default(150),
    /** Vantages that must see an edge fail for it to fail; default: a majority of peers. */
    quorum: z.number().int().min(1).nullish(),
    /** The decision interval (seconds): one decision per interval, aligned on the clock (the CronJob's schedule). */
    interval: z.number().int().min(1).default(60),
    observations_key: z.string().min(1).default("edgemanage/{dnet}/observations/{vantage}.json.gz"),
  })
  .refine((v) => v.peers.includes(v.name), { message: "vantage.peers must include vantage.name (this vantage)", path: ["peers"] })
  .refine((v) => v.quorum == null || v.quorum <= v.peers.length, { message: "vantage.quorum cannot be more than the number of peers", path: ["quorum"] })
  .transform((v) => ({ ...v, quorum: v.quorum ?? Math.floor(v.peers.length / 2) + 1 }));

/** DNSSEC: every zone signed in the run, with the keys of a folder (README "DNSSEC"). */
export const DnssecFields = z.object({
    enabled: z.boolean().default(false),
    /** The folder of K<zone>+<alg>+<id>.{key,private} files (`_` may stand for `+`, as in a Kubernetes Secret). */
    keys: path.nullish(),
    /** 13 ECDSAP256SHA256 (default) or 15 Ed25519. */
    algorithm: z.union([z.literal(13), z.literal(15)]).default(13),
    /** NSEC3 without salt and with 0 extra iterations (RFC 9276); off: NSEC. */
    nsec3: z.boolean().default(false),
    /** Days a signature is valid for. */
    signature_validity: z.number().min(1).max(365).default(14),
    /** A zone whose earliest signature expires within this many days is signed again, changed or not. */
    resign_before: z.number().min(0.5).default(4),
    /** Publish a zone unsigned that was signed before (only once the parent's DS record is gone). */
    allow_unsigned: z.boolean().default(false),
  });
export const DnssecSchema = DnssecFields
  .refine((d) => !d.enabled || d.keys, { message: "dnssec.enabled needs dnssec.keys: the folder of the zones' key pairs (edgemanage dnssec keygen makes them)", path: ["keys"] })
  .refine((d) => d.resign_before < d.signature_validity, { message: "must be less than dnssec.signature_validity: every run would sign again", path: ["resign_before"] });

export const MetricsSchema = z.object({
  /** Pushgateway base URL, e.g. http://pushgateway.monitoring:9091 */
  pushgateway: z.string().url().nullish(),
  /** node-exporter textfile collector file, e.g. /var/lib/node_exporter/edgemanage.prom */
  textfile: path.nullish(),
  /** With --daemonise: where /metrics and /healthz are served. */
  listen: z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:]*):\d{1,5}$/, { message: "expected HOST:PORT, e.g. 0.0.0.0:9464" }).default("0.0.0.0:9464"),
  job: z.string().min(1).default("edgemanage"),
  /** Seconds a push may take: a slow Pushgateway never delays the run beyond this. */
  push_timeout: seconds(10).default(2),
  /** A DNS server serving the zones (HOST[:PORT]): after each run its SOA serials are exported beside the written ones. */
  dns_server: z.string().refine((v) => parseServer(v) !== null, { message: "expected HOST[:PORT], e.g. bind.dns.svc:53" }).nullish(),
});

export const ConfigSchema = z.object({
  testobject: TestObjectSchema,
  dns: DnsSchema,
  run_frequency: z.number().int().min(60, { message: "expected at least 60 (seconds)" }).default(60),
  healthdata_store: path,
  edgelist_dir: path,
  extra_edgelist_dir: path.nullish(),
  dnschange_maxfreq: z.number().int().min(0).default(10),
  workers: z.number().int().min(1).nullish(),
  retry: z.number().int().min(0).max(10).default(3),
  goodenough: z.number().positive({ message: "expected a positive number of seconds, e.g. 0.7" }),
  canary_killer: z.number().int().min(1).default(5),
  statefile: path,
  logpath: path.nullish(),
  lockfile: path,
  zonetemplate_dir: path,
  edge_count: z.number().int().min(1),
  dnet_edge_count: z
    .record(z.string(), z.number().int().min(1))
    .nullish()
    .transform((v) => v ?? {}),
  named_dir: path,
  live_list: path.nullish(),
  canary_files: path.nullish(),
  commands: z
    .object({ run_before: commandList, run_after: commandList, run_after_changes: commandList })
    .nullish()
    .transform((c) => c ?? { run_before: [], run_after: [], run_after_changes: [] }),
  // Keys new in this version.
  timeout: seconds(60).default(10),
  run_deadline: seconds(55).default(40),
  user_agent: z
    .string()
    .min(1)
    .max(512)
    .regex(/^[\x20-\x7e]+$/, { message: "expected printable ASCII only (it is sent as the User-Agent header)" })
    .default("edgemanage/2 (+https://github.com/equalitie/edgemanage)"),
  zone_template: path.nullish(),
  fetch_history: z.number().int().min(10).max(100000).default(2000),
  /** Check every rendered zone with named-checkzone before writing it: `auto` when the program is on PATH. */
  zone_check: z.enum(ZONE_CHECK_MODES).default("auto"),
  /** Take over zone files in named_dir that carry no ownership line (as --adopt does): README "One owner per zone". */
  adopt_zones: z.boolean().default(false),
  guard: GuardSchema.default({ control: [], max_failing_fraction: 0.5, max_frozen_runs: 5 }),
  /** Hysteresis: consecutive passing runs before a failed edge may join; failed runs before a live edge is dropped. */
  rise: z.number().int().min(1).max(100).default(1),
  fall: z.number().int().min(1).max(100).default(1),
  /** Edges that joined more than flap_limit times within flap_window seconds are filled last (both needed). */
  flap_window: z.number().int().positive().nullish(),
  flap_limit: z.number().int().positive().nullish(),
  /** Days before a TLS certificate's expiry from which the edge is warned about every run. */
  cert_warn_days: z.number().min(0).default(14),
  vantage: VantageSchema.nullish(),
  /** probe.source_address: the local address probes leave from (a multi-homed prober). */
  probe: z
    .object({ source_address: z.string().refine(isIpAddress, { message: "expected an IP address of this host" }).nullish() })
    .nullish()
    .transform((p) => ({ source_address: p?.source_address ?? null })),
  /**
   * Where zones reach bind: `volume` (named_dir, read by bind), `s3` (uploaded to the state bucket,
   * pulled beside each bind by `edgemanage zones pull`; named_dir is a scratch copy) or `both`.
   * Default: `both` with state.backend s3, else `volume`.
   */
  zone_transport: z.enum(["volume", "s3", "both"]).nullish(),
  dnssec: DnssecSchema.default({ enabled: false, algorithm: 13, nsec3: false, signature_validity: 14, resign_before: 4, allow_unsigned: false }),
  metrics: MetricsSchema.default({ listen: "0.0.0.0:9464", job: "edgemanage", push_timeout: 2 }),
  state: StateConfigSchema.default({
    backend: "file",
    key: "edgemanage/{dnet}.state.json.gz",
    region: "us-east-1",
    force_path_style: false,
    on_unreadable: "fail",
    max_bytes: 20 * 1024 * 1024,
  }),
});

export const ConfigSchemaChecked = ConfigSchema.superRefine((c, ctx) => {
  // A failed fetch is recorded as `timeout`: with goodenough at or above it, a failure would pass.
  if (c.goodenough >= c.timeout) ctx.addIssue({ code: "custom", path: ["goodenough"], message: `must be less than timeout (${c.timeout}): a failed fetch is recorded as timeout and would be judged good enough` });
  if (c.zone_transport && c.zone_transport !== "volume" && c.state.backend !== "s3") ctx.addIssue({ code: "custom", path: ["zone_transport"], message: `${c.zone_transport} uploads zones to the state bucket: set state.backend: s3, or zone_transport: volume` });
  // Signatures differ from one signing to the next: only the deciding vantage signs, and bind pulls its zones.
  if (c.vantage && c.dnssec.enabled && c.zone_transport !== "s3") ctx.addIssue({ code: "custom", path: ["zone_transport"], message: "several vantage points with DNSSEC: set zone_transport: s3, so that every bind serves the deciding vantage's signed zones" });
  if (c.vantage && c.state.backend !== "s3") ctx.addIssue({ code: "custom", path: ["vantage"], message: "several vantage points share their observations and decisions through S3: set state.backend: s3" });
});

export type Config = z.infer<typeof ConfigSchema>;

/** Keys the classic tool read (or its sample configs carried) that this version accepts and ignores. */
export const IGNORED_CLASSIC_KEYS = ["rotationhistory_store", "soa_template", "prometheus_logs", "testing"] as const;

/** Canary files map a zone name to an address: `example.com: 192.0.2.7`. */
export const CanaryFileSchema = z.record(z.string(), z.unknown()).nullish();

export function isIpAddress(s: string): boolean {
  return isIP(s) !== 0;
}

import { dirname, isAbsolute, join, resolve } from "node:path";
import yaml from "js-yaml";
import type * as z from "zod";
import { OperatorError, errorMessage } from "../util/errors.js";
import { readTextInput } from "./text-input.js";
import { type Config, ConfigSchema, ConfigSchemaChecked, IGNORED_CLASSIC_KEYS } from "./schema.js";

export { DEFAULT_CONFIG_PATH } from "./defaults.js";

/** Everything a run of one network needs from the config, with `{dnet}` filled in and paths absolute. */
export interface NetworkSettings {
  dnet: string;
  configPath: string;
  config: Config;
  edgeCount: number;
  edgelistFiles: string[];
  zonetemplateDir: string;
  namedDir: string;
  statefile: string;
  healthdataStore: string;
  lockfile: string;
  liveList: string | null;
  canaryFile: string | null;
  testobjectLocal: string;
  zoneTemplate: string | null;
  /** The file a reloader watches: written after the zones, so it never picks up half a set. */
  stampFile: string;
  /** metrics.textfile, placed like the other paths. */
  metricsTextfile: string | null;
  /** dnssec.keys, placed like the other paths; null when not set. */
  dnssecKeys: string | null;
  /** A lock older than this (seconds) was left by a run that died: no run lasts that long. */
  lockStaleAfter: number;
  /** The S3 bucket and client options (state.backend: s3), with the keys' `{dnet}` filled in. */
  s3: S3Settings | null;
  /** Keys the file carries that this version does not know: logged, not fatal, so classic files keep working. */
  unknownKeys: string[];
  /** --state-url: no configuration file; the edges are those the state knows. */
  edgesFromState?: boolean;
}

export interface S3Settings {
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  stateKey: string;
  /** `{vantage}` is still to be filled in with each vantage's name. */
  observationsKey: string | null;
  /** Where this network's zones and their manifest go (`<state prefix>/zones/<dnet>/`); null: zones are not uploaded. */
  zonesPrefix: string | null;
  /** zone_transport s3: named_dir is a scratch copy; a zone missing there but held by the bucket is not rewritten. */
  bucketServes: boolean;
}

/** The zones' folder in the bucket: beside the state objects (`edgemanage/{dnet}.state.json.gz` → `edgemanage/zones/DNET/`). */
export function zonesPrefixOf(stateKey: string, dnet: string): string {
  const slash = stateKey.lastIndexOf("/");
  const base = slash < 0 ? "" : stateKey.slice(0, slash + 1).replaceAll("{dnet}", dnet);
  return `${base}zones/${dnet}/`;
}

const DNET_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function formatIssues(file: string, issues: readonly z.core.$ZodIssue[]): string {
  const lines = issues.map((i) => {
    const key = i.path.length ? i.path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".").replace(/\.\[/g, "[") : "(top level)";
    return `${key}: ${i.message}`;
  });
  return `${file}: invalid configuration: ${lines.join("; ")}`;
}

export function parseConfig(text: string, file: string): { config: Config; unknownKeys: string[] } {
  let raw: unknown;
  try {
    raw = yaml.load(text, { filename: file });
  } catch (err) {
    throw new OperatorError(`${file}: not valid YAML: ${errorMessage(err).split("\n")[0]}`, 2);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new OperatorError(`${file}: expected a YAML mapping of settings (see edgemanage.example.yaml)`, 2);
  }
  const known = new Set<string>([...Object.keys(ConfigSchema.shape), ...IGNORED_CLASSIC_KEYS]);
  const unknownKeys = Object.keys(raw).filter((k) => !known.has(k));
  // Parsed once per run: zod's compiled fast path for objects (a function made per object schema at
  // its first parse) would cost more than it saves, 13–17 ms against 4–8 ms for the whole file.
  const parsed = ConfigSchemaChecked.safeParse(raw, { jitless: true });
  if (!parsed.success) throw new OperatorError(formatIssues(file, parsed.error.issues), 2);
  return { config: parsed.data, unknownKeys };
}

/** Relative paths are taken from the config file's folder, so a config and its data can move together. */
function place(base: string, p: string, dnet: string): string {
  const filled = p.replaceAll("{dnet}", dnet);
  return isAbsolute(filled) ? filled : resolve(base, filled);
}

export function settingsFor(config: Config, configPath: string, dnet: string, unknownKeys: string[] = []): NetworkSettings {
  if (!DNET_RE.test(dnet)) {
    throw new OperatorError(`-A/--dnet: '${dnet}' is not a network name (letters, digits, '.', '_' and '-')`, 2);
  }
  const base = dirname(resolve(configPath));
  const at = (p: string) => place(base, p, dnet);
  const lockBase = at(config.lockfile);
  const namedDir = at(config.named_dir);
  const st = config.state;
  const transport = config.zone_transport ?? (st.backend === "s3" ? "both" : "volume");
  const settings: NetworkSettings = {
    dnet,
    configPath: resolve(configPath),
    config,
    edgeCount: config.dnet_edge_count[dnet] ?? config.edge_count,
    edgelistFiles: [resolve(at(config.edgelist_dir), dnet), ...(config.extra_edgelist_dir ? [resolve(at(config.extra_edgelist_dir), dnet)] : [])],
    zonetemplateDir: resolve(at(config.zonetemplate_dir), dnet),
    namedDir,
    statefile: at(config.statefile),
    healthdataStore: at(config.healthdata_store),
    // One lock per network: a classic lockfile path without {dnet} gets the network appended.
    lockfile: config.lockfile.includes("{dnet}") ? lockBase : `${lockBase}.${dnet}`,
    liveList: config.live_list ? at(config.live_list) : null,
    canaryFile: config.canary_files ? at(config.canary_files) : null,
    testobjectLocal: at(config.testobject.local),
    zoneTemplate: config.zone_template ? at(config.zone_template) : null,
    stampFile: join(namedDir, `.edgemanage.${dnet}.stamp`),
    metricsTextfile: config.metrics.textfile ? at(config.metrics.textfile) : null,
    dnssecKeys: config.dnssec.keys ? at(config.dnssec.keys) : null,
    lockStaleAfter: config.run_deadline + 60,
    s3:
      st.backend === "s3"
        ? { bucket: st.bucket!, region: st.region, endpoint: st.endpoint, forcePathStyle: st.force_path_style, stateKey: st.key.replaceAll("{dnet}", dnet), observationsKey: config.vantage ? config.vantage.observations_key.replaceAll("{dnet}", dnet) : null, zonesPrefix: transport === "volume" ? null : zonesPrefixOf(st.key, dnet), bucketServes: transport === "s3" }
        : null,
    unknownKeys,
  };
  refuseSharedPaths(settings);
  return settings;
}

/** The files a run writes, by the key that names each: two keys naming one file would overwrite each other. */
export function writtenPaths(s: NetworkSettings, domains: Iterable<string> = []): [string, string][] {
  const out: [string, string][] = [
    ["lockfile", s.lockfile],
    ["named_dir (stamp file)", s.stampFile],
  ];
  if (s.config.state.backend === "file") out.push(["statefile", s.statefile]);
  if (s.liveList) out.push(["live_list", s.liveList]);
  if (s.metricsTextfile) out.push(["metrics.textfile", s.metricsTextfile]);
  for (const d of domains) out.push([`named_dir (zone ${d})`, join(s.namedDir, `${d}.zone`)]);
  return out;
}

/** Refuses (exit 2) settings under which two outputs are one file: a zone replaced by the live list every run, a lock on the state file. */
export function refuseSharedPaths(s: NetworkSettings, domains: Iterable<string> = []): void {
  const seen = new Map<string, string>();
  for (const [key, file] of writtenPaths(s, domains)) {
    const other = seen.get(file);
    if (other !== undefined) throw new OperatorError(`${s.configPath}: ${other} and ${key} are the same file (${file}) for network ${s.dnet}; give each its own path`, 2);
    seen.set(file, key);
  }
}

/** A configuration is a page of settings: anything larger is a mistake, refused before parsing. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export function loadSettings(configPath: string, dnet: string): NetworkSettings {
  const text = readTextInput(configPath, "-c PATH (the configuration file)", MAX_CONFIG_BYTES);
  const { config, unknownKeys } = parseConfig(text, configPath);
  return settingsFor(config, configPath, dnet, unknownKeys);
}

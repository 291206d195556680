import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import yaml from "js-yaml";
import type { z } from "zod";
import { OperatorError, errorMessage } from "../util/errors.js";
import { type Config, ConfigSchema, ConfigSchemaChecked, IGNORED_CLASSIC_KEYS } from "./schema.js";

export const DEFAULT_CONFIG_PATH = "/etc/edgemanage/edgemanage.yaml";

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
  /** Keys the file carries that this version does not know: logged, not fatal, so classic files keep working. */
  unknownKeys: string[];
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
  const parsed = ConfigSchemaChecked.safeParse(raw);
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
  return {
    dnet,
    configPath: resolve(configPath),
    config,
    edgeCount: config.dnet_edge_count[dnet] ?? config.edge_count,
    edgelistFiles: [resolve(at(config.edgelist_dir), dnet), ...(config.extra_edgelist_dir ? [resolve(at(config.extra_edgelist_dir), dnet)] : [])],
    zonetemplateDir: resolve(at(config.zonetemplate_dir), dnet),
    namedDir: at(config.named_dir),
    statefile: at(config.statefile),
    healthdataStore: at(config.healthdata_store),
    // One lock per network: a classic lockfile path without {dnet} gets the network appended.
    lockfile: config.lockfile.includes("{dnet}") ? lockBase : `${lockBase}.${dnet}`,
    liveList: config.live_list ? at(config.live_list) : null,
    canaryFile: config.canary_files ? at(config.canary_files) : null,
    testobjectLocal: at(config.testobject.local),
    zoneTemplate: config.zone_template ? at(config.zone_template) : null,
    unknownKeys,
  };
}

export function loadSettings(configPath: string, dnet: string): NetworkSettings {
  let text: string;
  try {
    text = readFileSync(configPath, "utf8");
  } catch (err) {
    throw new OperatorError(`${configPath}: cannot read the configuration (${errorMessage(err)}); pass the right file with -c PATH`, 2);
  }
  const { config, unknownKeys } = parseConfig(text, configPath);
  return settingsFor(config, configPath, dnet, unknownKeys);
}

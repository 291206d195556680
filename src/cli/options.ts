import { DEFAULT_CONFIG_PATH, type NetworkSettings, loadSettings } from "../config/load.js";
import { readEdgeLists } from "../config/inputs.js";
import { settingsFromStateUrl } from "../config/state-url.js";
import type { NetworkState } from "../core/state.js";
import { compareAddresses } from "../zone/render.js";

/** Options every form of the command takes, as the classic tools did. */
export const COMMON_OPTIONS = {
  dnet: { type: "string", short: "A" },
  config: { type: "string", short: "c", default: DEFAULT_CONFIG_PATH },
  verbose: { type: "boolean", short: "v", default: false },
  help: { type: "boolean", short: "h", default: false },
  /** Day-2 with only the bucket: s3://BUCKET/PREFIX instead of a configuration file. */
  "state-url": { type: "string" },
} as const;

/** The network's settings: from the configuration file, or from --state-url alone. */
export function settingsOf(values: { config: string; "state-url"?: string }, dnet: string): NetworkSettings {
  return values["state-url"] ? settingsFromStateUrl(values["state-url"], dnet) : loadSettings(values.config, dnet);
}

/** The network's edges, in the edge lists' order; with --state-url, those the state knows. */
export function knownEdges(s: NetworkSettings, state: NetworkState): string[] {
  return s.edgesFromState ? Object.keys(state.edges).sort(compareAddresses) : readEdgeLists(s.edgelistFiles).edges;
}


import { DEFAULT_CONFIG_PATH } from "../config/load.js";

/** Options every form of the command takes, as the classic tools did. */
export const COMMON_OPTIONS = {
  dnet: { type: "string", short: "A" },
  config: { type: "string", short: "c", default: DEFAULT_CONFIG_PATH },
  verbose: { type: "boolean", short: "v", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;


import type { Logger } from "pino";
import type { NetworkSettings } from "../config/load.js";
import { readCanaries, readEdgeLists } from "../config/inputs.js";
import { FileStateStore } from "./file-store.js";
import type { StateStore } from "./store.js";

/** The store named by the `state` section of the configuration. */
export function openStore(s: NetworkSettings, log: Logger): StateStore {
  const edges = readEdgeLists(s.edgelistFiles).edges;
  const canaries = new Set(readCanaries(s.canaryFile).canaries.values());
  return new FileStateStore(s.statefile, { healthdataStore: s.healthdataStore, edges, canaries }, log);
}

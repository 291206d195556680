import type { Logger } from "pino";
import type { NetworkSettings } from "../config/load.js";
import { readCanaries, readEdgeLists } from "../config/inputs.js";
import { type ClassicSource, FileStateStore } from "./file-store.js";
import type { StateStore } from "./store.js";

/** The classic files of a network: its edges and canaries, and where their `.edgestore` files are. */
export function classicSource(s: NetworkSettings, healthdataStore = s.healthdataStore): ClassicSource {
  return { healthdataStore, edges: readEdgeLists(s.edgelistFiles).edges, canaries: new Set(readCanaries(s.canaryFile).canaries.values()) };
}

/** The store named by the `state` section of the configuration. */
export async function openStore(s: NetworkSettings, log: Logger, readOnly = false): Promise<StateStore> {
  if (s.s3) {
    // Loaded only when used: the AWS SDK is most of the start-up time of a run.
    const { S3StateStore, s3ClientFor } = await import("./s3-store.js");
    return new S3StateStore(s3ClientFor(s.s3), { bucket: s.s3.bucket, key: s.s3.stateKey, onUnreadable: s.config.state.on_unreadable, maxBytes: s.config.state.max_bytes, deadlineMs: 15_000 }, log);
  }
  return new FileStateStore(s.statefile, () => classicSource(s), log, readOnly, s.config.state.max_bytes);
}

import type { Logger } from "pino";
import type { NetworkSettings } from "../config/load.js";
import { openStore } from "../state/open-store.js";
import type { NetworkState } from "../core/state.js";
import { StateStoreError } from "../state/store.js";
import { OperatorError } from "../util/errors.js";

/**
 * The state as the last run saved it, for the operator tools: from the same store the runs use
 * (file or S3), read only — nothing is migrated, moved aside or written.
 */
export async function readState(s: NetworkSettings, log: Logger): Promise<{ state: NetworkState; source: string }> {
  const store = await openStore(s, log, true);
  const loaded = await store.load(s.dnet);
  if (loaded.unreadable) throw new StateStoreError(`${loaded.source}: the state is unreadable`, "unreadable");
  if (loaded.state.lastRun === null) throw new OperatorError(`${loaded.source}: no state yet for network ${s.dnet}: no run has saved one`, 1);
  return { state: loaded.state, source: loaded.source };
}

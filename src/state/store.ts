import type { NetworkState } from "../core/state.js";

/** What a load returned; `version` is what a conditional save must still find in the store. */
export interface Loaded {
  state: NetworkState;
  version: string | null;
  /** Human-readable origin for logs and plans. */
  source: string;
  /** True when the state came from the classic edgemanage files. */
  migrated: boolean;
  /** The stored state could not be read and the operator opted to start empty (state.on_unreadable). */
  unreadable?: boolean;
}

/** One network's state: read once at the start of a run, saved once at its end. */
export interface StateStore {
  describe(): string;
  load(dnet: string): Promise<Loaded>;
  save(state: NetworkState, loaded: Loaded): Promise<void>;
}

/** A failure the run cannot go past; `outcome` is documented in the README's table of state faults. */
export class StateStoreError extends Error {
  constructor(
    message: string,
    readonly outcome: "unreadable" | "newer" | "conflict" | "unavailable",
  ) {
    super(message);
  }
}

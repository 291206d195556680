import { existsSync, readFileSync, readdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { errorMessage } from "../util/errors.js";
import { writeFileAtomic } from "../util/fs.js";
import { fromClassic, isClassicState } from "./classic.js";
import { DEFAULT_MAX_STATE_BYTES, StateDecodeError, decodeState, encodeState } from "./codec.js";
import { type NetworkState, emptyState } from "../core/state.js";
import { type Loaded, type StateStore, StateStoreError } from "./store.js";

/** Reads the classic `<edge>.edgestore` files of the given addresses that exist; unreadable ones are logged and skipped. */
function readEdgestores(dir: string, addresses: Iterable<string>, log: Logger): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const present = new Set(existsSync(dir) ? readdirSync(dir) : []);
  for (const addr of addresses) {
    const name = `${addr}.edgestore`;
    if (!present.has(name)) continue;
    try {
      out.set(addr, JSON.parse(readFileSync(join(dir, name), "utf8")));
    } catch (err) {
      log.error({ file: join(dir, name), err: errorMessage(err) }, "classic edgestore unreadable: that edge starts with an empty history");
    }
  }
  return out;
}

export interface ClassicSource {
  healthdataStore: string;
  /** Addresses whose classic edgestores to bring along: the edge list and canaries. */
  edges: readonly string[];
  canaries: ReadonlySet<string>;
}

/** Converts a classic state document, with the `.edgestore` histories of the source's edges and canaries. */
export function readClassic(dnet: string, rawState: unknown, source: ClassicSource, log: Logger): { state: NetworkState; edgestores: number } {
  const stores = readEdgestores(source.healthdataStore, [...source.edges, ...source.canaries], log);
  return { state: fromClassic(dnet, rawState, stores, source.canaries), edgestores: stores.size };
}

/**
 * The local-file store: one JSON document at `statefile`. A classic state file found there is
 * migrated (with the `.edgestore` files of `healthdata_store`) and kept beside as `.classic`.
 */
export class FileStateStore implements StateStore {
  constructor(
    private readonly file: string,
    /** Asked only when a classic state file is found: most runs never need the edge list here. */
    private readonly classic: () => ClassicSource,
    private readonly log: Logger,
    /** Operator tools only read: an unreadable file is an error for them, never moved aside. */
    private readonly readOnly = false,
    private readonly maxBytes = DEFAULT_MAX_STATE_BYTES,
  ) {}

  describe(): string {
    return this.file;
  }

  async load(dnet: string): Promise<Loaded> {
    const base = { version: null, source: this.file, migrated: false };
    let text: string;
    try {
      const st = statSync(this.file);
      if (!st.isFile()) throw Object.assign(new Error("not a regular file"), { code: "EINVAL" });
      // Too large to load safely: refused, and left where it is (never moved aside as corrupt).
      if (st.size > this.maxBytes) throw new StateStoreError(`${this.file}: ${st.size} bytes, more than state.max_bytes (${this.maxBytes}): refused before parsing; raise state.max_bytes or restore a smaller state`, "unreadable");
      text = readFileSync(this.file, "utf8");
    } catch (err) {
      if (err instanceof StateStoreError) throw err;
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        this.log.info({ statefile: this.file }, "no state file yet: starting with an empty history");
        return { ...base, state: emptyState(dnet) };
      }
      throw new StateStoreError(`${this.file}: cannot read the state file (${errorMessage(err)}); fix its permissions or statefile`, "unavailable");
    }
    try {
      const raw: unknown = JSON.parse(text);
      if (isClassicState(raw)) {
        const { state, edgestores } = readClassic(dnet, raw, this.classic(), this.log);
        this.log.warn({ statefile: this.file, edgestores }, "classic edgemanage state found: migrating it (the original is kept as .classic on save)");
        return { ...base, migrated: true, state };
      }
      return { ...base, state: decodeState(text) };
    } catch (err) {
      if (err instanceof StateDecodeError && err.kind === "newer") throw new StateStoreError(`${this.file}: ${err.message}`, "newer");
      if (this.readOnly) throw new StateStoreError(`${this.file}: the state file is unreadable (${errorMessage(err)})`, "unreadable");
      const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
      renameSync(this.file, aside);
      this.log.error({ statefile: this.file, keptAs: aside, err: errorMessage(err) }, "state file is unreadable: kept aside, continuing with an empty history");
      return { ...base, state: emptyState(dnet) };
    }
  }

  async save(state: NetworkState, loaded: Loaded): Promise<void> {
    if (loaded.migrated && existsSync(this.file)) renameSync(this.file, `${this.file}.classic`);
    writeFileAtomic(this.file, `${encodeState(state)}\n`);
  }
}

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { COMMON_OPTIONS } from "./options.js";
import { loadSettings } from "../config/load.js";
import { acquireLock } from "../run/lock.js";
import { readClassic } from "../state/file-store.js";
import { classicSource, openStore } from "../state/open-store.js";
import { OperatorError, errorMessage } from "../util/errors.js";
import { makeLogger } from "../util/log.js";

export const IMPORT_USAGE = `usage: edgemanage import -A DNET [-c CONFIG] [--statefile PATH] [--healthdata DIR] [--overwrite]

Moves a classic edgemanage installation into the configured state store (local file or S3): the
network state ({dnet}.state) and the .edgestore history of every edge and canary of the network.
Every sample is kept. Defaults: statefile and healthdata_store of the configuration.
An existing state in the store is not replaced unless --overwrite.
`;

export async function importClassic(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      statefile: { type: "string" },
      healthdata: { type: "string" },
      overwrite: { type: "boolean", default: false },
    },
  });
  if (values.help) return process.stdout.write(IMPORT_USAGE), 0;
  if (!values.dnet) throw new OperatorError("import: -A/--dnet NAME is required", 2);
  const settings = loadSettings(values.config, values.dnet);
  const log = makeLogger(values.verbose);
  const statefile = values.statefile ?? settings.statefile;
  const healthdata = values.healthdata ?? settings.healthdataStore;
  let rawState: unknown = null;
  try {
    rawState = JSON.parse(readFileSync(statefile, "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new OperatorError(`${statefile}: cannot read the classic state (${errorMessage(err)}); pass --statefile PATH`, 2);
    log.warn({ statefile }, "no classic state file: importing edge histories only");
  }
  let imported;
  try {
    imported = readClassic(settings.dnet, rawState, classicSource(settings, healthdata), log);
  } catch (err) {
    throw new OperatorError(`${statefile}: not a classic edgemanage state file (${errorMessage(err).split("\n")[0]})`, 2);
  }
  const { state, edgestores } = imported;
  const store = await openStore(settings, log);
  const release = acquireLock(settings.lockfile, settings.lockStaleAfter);
  try {
    const loaded = await store.load(settings.dnet);
    const occupied = !loaded.migrated && (loaded.version !== null || loaded.state.lastRun !== null || Object.keys(loaded.state.edges).length > 0);
    if (occupied && !values.overwrite) {
      throw new OperatorError(`${store.describe()} already holds a state for network ${settings.dnet}; pass --overwrite to replace it with the classic one`, 1);
    }
    await store.save(state, loaded);
  } finally {
    release();
  }
  const samples = [...Object.values(state.edges), ...Object.values(state.canaries)].reduce((n, e) => n + e.samples.length, 0);
  process.stdout.write(`imported network ${settings.dnet} into ${store.describe()}: ${edgestores} edge histories, ${samples} samples, last live ${state.lastLive.join(" ") || "none"}\n`);
  return 0;
}

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { COMMON_OPTIONS } from "./options.js";
import { join } from "node:path";
import { type NetworkSettings, loadSettings } from "../config/load.js";
import { readZoneIncludes } from "../config/inputs.js";
import { readIfExists } from "../util/fs.js";
import { ownerOf, soaSerialOf } from "../zone/render.js";
import { acquireLock } from "../run/lock.js";
import { readClassic } from "../state/file-store.js";
import { classicSource, openStore } from "../state/open-store.js";
import { OperatorError, errorMessage } from "../util/errors.js";
import { makeLogger } from "../util/log.js";

export const IMPORT_USAGE = `usage: edgemanage import -A DNET [-c CONFIG] [--statefile PATH] [--healthdata DIR] [--overwrite] [--adopt]

Moves a classic edgemanage installation into the configured state store (local file or S3): the
network state ({dnet}.state) and the .edgestore history of every edge and canary of the network.
Every sample is kept. Defaults: statefile and healthdata_store of the configuration.
An existing state in the store is not replaced unless --overwrite. --adopt: the zone files the classic
tool wrote in named_dir become this network's (the runs rewrite them, counting up from their serials);
without it a run refuses to overwrite a zone file that carries no ownership line.
`;

/** The zone files of the network's include domains that are in named_dir but carry no ownership line. */
function unowned(settings: NetworkSettings): Map<string, string> {
  const out = new Map<string, string>();
  for (const domain of readZoneIncludes(settings.zonetemplateDir).keys()) {
    const text = readIfExists(join(settings.namedDir, `${domain}.zone`))?.toString("utf8");
    if (text !== undefined && ownerOf(text) === null) out.set(domain, text);
  }
  return out;
}

export async function importClassic(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      statefile: { type: "string" },
      healthdata: { type: "string" },
      overwrite: { type: "boolean", default: false },
      adopt: { type: "boolean", default: false },
    },
  });
  if (values.help) return process.stdout.write(IMPORT_USAGE), 0;
  if (!values.dnet) throw new OperatorError("import: -A/--dnet NAME is required", 2);
  const settings = loadSettings(values.config, values.dnet);
  const log = await makeLogger(values.verbose);
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
  const { edgestores } = imported;
  const foreign = unowned(settings);
  const state = values.adopt ? { ...imported.state, zones: { ...imported.state.zones, ...Object.fromEntries([...foreign].map(([d, text]) => [d, { hash: "", serial: soaSerialOf(text) ?? 0, canary: null }])) } } : imported.state;
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
  const samples = [...Object.values(state.edges), ...Object.values(state.canaries)].reduce((n, e) => n + e.samples.t.length, 0);
  process.stdout.write(`imported network ${settings.dnet} into ${store.describe()}: ${edgestores} edge histories, ${samples} samples, last live ${state.lastLive.join(" ") || "none"}\n`);
  if (foreign.size) {
    const names = [...foreign.keys()].join(" ");
    process.stdout.write(values.adopt ? `adopted ${foreign.size} zone file(s) of named_dir: ${names}\n` : `${foreign.size} zone file(s) in named_dir carry no ownership line and will not be overwritten: ${names}; import again with --adopt (or run once with --adopt) to take them over\n`);
  }
  return 0;
}

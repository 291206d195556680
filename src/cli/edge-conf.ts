import { parseArgs } from "node:util";
import { COMMON_OPTIONS } from "./options.js";
import { loadSettings } from "../config/load.js";
import { acquireLock } from "../run/lock.js";
import { openStore } from "../state/open-store.js";
import { MODES, ModeSchema, emptyEdge } from "../core/state.js";
import { OperatorError } from "../util/errors.js";
import { makeLogger } from "../util/log.js";

export const EDGE_CONF_USAGE = `usage: edgemanage edge-conf -A DNET [-c CONFIG] --mode MODE [--comment TEXT] EDGE...

Set the operator mode of edges in the state of network DNET, as the classic edge_conf did:
  available   judged and chosen normally
  force       published whenever it is not failing
  blindforce  published regardless of health
  unavailable probed and recorded, never published (drain)
`;

export async function edgeConf(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...COMMON_OPTIONS,
      mode: { type: "string" },
      comment: { type: "string" },
    },
  });
  if (values.help) return process.stdout.write(EDGE_CONF_USAGE), 0;
  if (!values.dnet) throw new OperatorError("edge-conf: -A/--dnet NAME is required", 2);
  const mode = ModeSchema.safeParse(values.mode);
  if (!mode.success) throw new OperatorError(`edge-conf: --mode must be one of ${MODES.join(", ")}`, 2);
  if (positionals.length === 0) throw new OperatorError("edge-conf: name at least one EDGE", 2);
  const settings = loadSettings(values.config, values.dnet);
  const log = makeLogger(values.verbose);
  const store = await openStore(settings, log);
  const release = acquireLock(settings.lockfile, settings.lockStaleAfter);
  try {
    const loaded = await store.load(settings.dnet);
    const state = structuredClone(loaded.state);
    const now = Date.now() / 1000;
    for (const edge of positionals) {
      const rec = state.edges[edge] ?? emptyEdge();
      state.edges[edge] = { ...rec, mode: mode.data, changed: rec.mode !== mode.data ? now : rec.changed, comment: values.comment ?? rec.comment };
      log.info({ edge, mode: mode.data, previous: rec.mode, comment: values.comment }, "edge mode set");
      process.stdout.write(`${edge}: ${rec.mode} -> ${mode.data}\n`);
    }
    await store.save(state, loaded);
  } finally {
    release();
  }
  return 0;
}

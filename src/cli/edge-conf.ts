import { parseArgs } from "node:util";
import { COMMON_OPTIONS, knownEdges, settingsOf } from "./options.js";
import type { NetworkSettings } from "../config/load.js";
import { parseEdgeLists } from "../config/inputs.js";
import { canonicalIp } from "../core/ip.js";
import { closest } from "../util/closest.js";
import { acquireLock } from "../run/lock.js";
import { openStore } from "../state/open-store.js";
import { MODES, type Mode, ModeSchema, emptyEdge } from "../core/state.js";
import { OperatorError } from "../util/errors.js";
import { type Logger, makeLogger } from "../util/log.js";

export const EDGE_CONF_USAGE = `usage: edgemanage edge-conf -A DNET [-c CONFIG | --state-url s3://BUCKET/PREFIX] --mode MODE [--comment TEXT] [--allow-unknown] EDGE...

Set the operator mode of edges in the state of network DNET, as the classic edge_conf did:
  available   judged and chosen normally
  force       published whenever it is not failing
  blindforce  published regardless of health
  unavailable probed and recorded, never published (drain)
An EDGE must be in the network's edge lists or its state (--allow-unknown: any host name or address).
`;

export async function edgeConf(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...COMMON_OPTIONS,
      mode: { type: "string" },
      comment: { type: "string" },
      "allow-unknown": { type: "boolean", default: false },
    },
  });
  if (values.help) return process.stdout.write(EDGE_CONF_USAGE), 0;
  if (!values.dnet) throw new OperatorError("edge-conf: -A/--dnet NAME is required", 2);
  const mode = ModeSchema.safeParse(values.mode);
  if (!mode.success) throw new OperatorError(`edge-conf: --mode must be one of ${MODES.join(", ")}`, 2);
  if (positionals.length === 0) throw new OperatorError("edge-conf: name at least one EDGE", 2);
  const settings = settingsOf(values, values.dnet);
  // The answer (one line per edge) on stdout; the log lines on stderr.
  await setEdgeModes(settings, positionals, mode.data, values.comment, values["allow-unknown"], await makeLogger(values.verbose, 2), (e, from, to) => process.stdout.write(`${e}: ${from} -> ${to}\n`));
  return 0;
}

/**
 * Sets the mode of edges in the network's state, under the lock, with one conditional save. `comment`:
 * the new comment, null to clear it, undefined to keep it. `print` reports each change.
 */
export async function setEdgeModes(settings: NetworkSettings, names: readonly string[], mode: Mode, comment: string | null | undefined, allowUnknown: boolean, log: Logger, print: (edge: string, from: Mode, to: Mode) => void): Promise<void> {
  const store = await openStore(settings, log);
  const release = acquireLock(settings.lockfile, settings.lockStaleAfter);
  try {
    const loaded = await store.load(settings.dnet);
    const state = structuredClone(loaded.state);
    const now = Date.now() / 1000;
    const known = new Set([...knownEdges(settings, state), ...Object.keys(state.edges)]);
    // As listed: an address in canonical form, a name in the list's spelling.
    const edges = names.map((e) => canonicalIp(e) ?? [...known].find((k) => k.toLowerCase() === e.toLowerCase()) ?? e);
    for (const [i, edge] of edges.entries()) {
      if (known.has(edge) || (allowUnknown && parseEdgeLists([{ file: "the command line", text: names[i]! }]).edges.length === 1)) continue;
      const near = closest(edge, known);
      throw new OperatorError(`edge-conf: ${names[i]} is not an edge of network ${settings.dnet}${near ? ` (did you mean ${near}?)` : ""}; nothing was changed. Pass --allow-unknown to set the mode of an edge not listed yet`, 2);
    }
    for (const edge of edges) {
      const rec = Object.hasOwn(state.edges, edge) ? state.edges[edge]! : emptyEdge();
      // A computed key defines an own property even for a name such as `__proto__`.
      state.edges = { ...state.edges, [edge]: { ...rec, mode, changed: rec.mode !== mode ? now : rec.changed, comment: comment === undefined ? rec.comment : comment } };
      log.info({ edge, mode, previous: rec.mode, comment }, "edge mode set");
      print(edge, rec.mode, mode);
    }
    await store.save(state, loaded);
  } finally {
    release();
  }
}

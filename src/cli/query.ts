import { parseArgs } from "node:util";
import { COMMON_OPTIONS, knownEdges, settingsOf } from "./options.js";
import { FORMATS, type Format, HEALTH_FILTERS, type HealthFilter, formatHistory, formatRows, queryRows } from "../ops/query.js";
import { readState } from "../ops/read-state.js";
import { MODES, type Mode } from "../core/state.js";
import { OperatorError } from "../util/errors.js";
import { toolLogger } from "../util/log.js";

export const QUERY_USAGE = `usage: edgemanage query -A DNET [-c CONFIG | --state-url s3://BUCKET/PREFIX] [--health H|allpass] [--state in|out] [--mode M]
                        [--format flat|csv|json|table] [--header] [-q] [-v]
       edgemanage query -A DNET [-c CONFIG] --history EDGE [--limit N]

The edges of network DNET as the last run recorded them (the classic edge_query), read from the
state store (file or S3) without changing it. --state-url reads the state from the bucket with no
configuration file (credentials and endpoint from the environment); the edges are the state's.

  --health H         ${HEALTH_FILTERS.join(", ")} (any judgement but fail)
  --state S          in (published) or out
  --mode M           ${MODES.join(", ")}
  --format F         table (default on a terminal), flat (default otherwise), csv, json
  --header           print a header line (flat, csv)
  -q, --quiet        print nothing: exit 0 when an edge matches, 1 when none does
  --history EDGE     that edge's recent samples, hourly means and rotations (latest --limit, default 20)
`;

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new OperatorError(`query: ${flag} must be one of ${allowed.join(", ")}`, 2);
  return value as T;
}

export async function query(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      health: { type: "string" },
      state: { type: "string" },
      mode: { type: "string" },
      format: { type: "string" },
      header: { type: "boolean", default: false },
      quiet: { type: "boolean", short: "q", default: false },
      history: { type: "string" },
      limit: { type: "string", default: "20" },
    },
  });
  if (values.help) return process.stdout.write(QUERY_USAGE), 0;
  if (!values.dnet) throw new OperatorError("query: -A/--dnet NAME is required", 2);
  const health = oneOf<HealthFilter>("--health", values.health, HEALTH_FILTERS);
  const state = oneOf<"in" | "out">("--state", values.state, ["in", "out"]);
  const mode = oneOf<Mode>("--mode", values.mode, MODES);
  const format = oneOf<Format>("--format", values.format, FORMATS) ?? (process.stdout.isTTY ? "table" : "flat");
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new OperatorError("query: --limit must be a whole number of at least 1", 2);
  const settings = settingsOf(values, values.dnet);
  const read = await readState(settings, await toolLogger(values.verbose));
  if (values.history) return process.stdout.write(formatHistory(values.history, read.state.edges[values.history], limit)), 0;
  const rows = queryRows(read.state, knownEdges(settings, read.state), Date.now() / 1000, { health, state, mode });
  if (!values.quiet) process.stdout.write(formatRows(rows, format, values.header));
  return values.quiet && rows.length === 0 ? 1 : 0;
}

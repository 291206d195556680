import { parseArgs } from "node:util";
import { loadSettings } from "../config/load.js";
import { forget, groupingOf } from "../metrics/publish.js";
import { OperatorError, errorMessage } from "../util/errors.js";
import { COMMON_OPTIONS } from "./options.js";

export const METRICS_USAGE = `usage: edgemanage metrics forget -A DNET [-c CONFIG]

Deletes network DNET's group (job, dnet, and this cluster's vantage when set) at the Pushgateway of
metrics.pushgateway: after a network is removed, its last series would otherwise stay there, and
EdgemanageRunsStale would fire for it forever.
`;

/** `edgemanage metrics forget -A DNET` */
export async function metrics(argv: string[]): Promise<number> {
  if (argv[0] === "-h" || argv[0] === "--help") return process.stdout.write(METRICS_USAGE), 0;
  if (argv[0] !== "forget") throw new OperatorError(`metrics: expected forget, not '${argv[0] ?? ""}' (see metrics --help)`, 2);
  const { values } = parseArgs({ args: argv.slice(1), strict: true, options: COMMON_OPTIONS });
  if (!values.dnet) throw new OperatorError("metrics forget: -A DNET is required", 2);
  const s = loadSettings(values.config, values.dnet);
  const m = s.config.metrics;
  if (!m.pushgateway) throw new OperatorError(`${s.configPath}: metrics.pushgateway is not set: there is no group to delete`, 2);
  const groupings = groupingOf(s.dnet, s.config.vantage?.name ?? null);
  try {
    await forget({ ...m, pushgateway: m.pushgateway }, groupings);
  } catch (err) {
    throw new OperatorError(`metrics forget: ${m.pushgateway}: ${errorMessage(err)}`, 1);
  }
  process.stdout.write(`deleted the Pushgateway group ${Object.entries({ job: m.job, ...groupings }).map(([k, v]) => `${k}="${v}"`).join(",")} at ${m.pushgateway}\n`);
  return 0;
}

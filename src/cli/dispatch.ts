import { OperatorError, errorMessage } from "../util/errors.js";
import { CLASSIC_TOOLS, type ClassicTool, USAGE, VERSION } from "./usage.js";

interface Command {
  run: (argv: string[]) => Promise<number>;
  usage: string;
}

type Commands = typeof import("./commands.js");

/** A command, loaded only when it is asked for: `--help` and `--version` load no adapter at all. */
const lazy =
  (pick: (m: Commands) => Command) =>
  async (): Promise<Command> =>
    pick(await import("./commands.js"));

const COMMANDS: Record<string, () => Promise<Command>> = {
  "edge-conf": lazy((m) => ({ run: m.edgeConf, usage: m.EDGE_CONF_USAGE })),
  import: lazy((m) => ({ run: m.importClassic, usage: m.IMPORT_USAGE })),
  query: lazy((m) => ({ run: m.query, usage: m.QUERY_USAGE })),
  metrics: lazy((m) => ({ run: m.metrics, usage: m.METRICS_USAGE })),
  dnssec: lazy((m) => ({ run: m.dnssec, usage: m.DNSSEC_USAGE })),
  zones: lazy((m) => ({ run: m.zones, usage: m.ZONES_USAGE })),
  check: lazy((m) => ({ run: m.check, usage: m.CHECK_USAGE })),
};

/**
 * The command line, in-process: the exit code is returned, never `process.exit`. Operator errors are
 * one line on stderr; anything else is one line too, never a stack trace.
 */
export async function main(argv: string[], name = "edgemanage"): Promise<number> {
  let usage = "";
  try {
    // Run as a classic tool (a link named edge_query, check_edgemanage_latency, …): its own command line.
    if ((CLASSIC_TOOLS as readonly string[]).includes(name)) return await (await import("./commands.js")).classic(name as ClassicTool, argv);
    const load = COMMANDS[argv[0] ?? ""];
    if (load) {
      const c = await load();
      usage = c.usage;
      return await c.run(argv.slice(1));
    }
    // The answers that need nothing else: start-up stays short (no adapter, no SDK is loaded).
    if (argv.length === 1 && (argv[0] === "--help" || argv[0] === "-h")) return process.stdout.write(USAGE), 0;
    if (argv.length === 1 && argv[0] === "--version") return process.stdout.write(`edgemanage ${VERSION}\n`), 0;
    const m = await import("./run-command.js");
    usage = USAGE;
    return await m.runMain(argv);
  } catch (err) {
    if (err instanceof OperatorError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      return err.exitCode;
    }
    const code = (err as { code?: string }).code;
    if (code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`${name}: ${(err as Error).message.split("\n")[0]}\n${usage}`);
      return 2;
    }
    process.stderr.write(`${name}: ${errorMessage(err).split("\n")[0]}\n`);
    return 1;
  }
}

import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import { DEFAULT_CONFIG_PATH, loadSettings } from "../config/load.js";
import { readInputFile } from "../config/text-input.js";
import { lastValue } from "../core/history.js";
import { JUDGEMENTS, MODES, type NetworkState } from "../core/state.js";
import { readState } from "../ops/read-state.js";
import { DEFAULT_MAX_STATE_BYTES, decodeStateBytes } from "../state/codec.js";
import { OperatorError, errorMessage } from "../util/errors.js";
import { runProgram } from "../util/exec.js";
import { toolLogger } from "../util/log.js";
import { setEdgeModes } from "./edge-conf.js";
import { knownEdges } from "./options.js";
import type { ClassicTool } from "./usage.js";

/**
 * The classic tools' command lines, each parsed exactly as its Python argparse did and run by this
 * program's own code (README "Coming from edgemanage 3" lists where a classic bug was fixed).
 */

/** The classic checks' status words ("UKNOWN" was a typo there). */
const STATUS = ["OK", "WARN", "CRIT", "UNKNOWN"] as const;
const out = (line: string) => process.stdout.write(`${line}\n`);

function choice<T extends string>(flag: string, value: string | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw new OperatorError(`argument ${flag}: invalid choice: '${value}' (choose from ${choices.map((c) => `'${c}'`).join(", ")})`, 2);
  return value as T;
}

function number(flag: string, value: string | undefined, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new OperatorError(`argument ${flag}: invalid ${integer ? "int" : "float"} value: '${value}'`, 2);
  return n;
}

/** A state file of this project given by path (the classic checks' positional argument). */
function stateFile(path: string): NetworkState {
  return decodeStateBytes(readInputFile(path, "statefile", DEFAULT_MAX_STATE_BYTES));
}

/** edge_query: -A DNET [-c CONFIG] [-H HEALTH] [-s in|out] [-m MODE] [-f flat|csv|json] [-q] [--header] [-v] */
async function edgeQuery(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      dnet: { type: "string", short: "A" },
      config: { type: "string", short: "c", default: DEFAULT_CONFIG_PATH },
      health: { type: "string", short: "H" },
      state: { type: "string", short: "s" },
      mode: { type: "string", short: "m" },
      format: { type: "string", short: "f", default: "flat" },
      quiet: { type: "boolean", short: "q", default: false },
      header: { type: "boolean", default: false },
      verbose: { type: "boolean", short: "v", default: false },
    },
  });
  if (!values.dnet) throw new OperatorError("the following arguments are required: --dnet/-A", 2);
  const health = choice("--health/-H", values.health, JUDGEMENTS);
  const st = choice("--state/-s", values.state, ["out", "in"] as const);
  const mode = choice("--mode/-m", values.mode, MODES);
  const format = choice("--format/-f", values.format, ["flat", "csv", "json"] as const)!;
  const s = loadSettings(values.config, values.dnet);
  const { state } = await readState(s, await toolLogger(false));
  const now = Date.now() / 1000;
  const sep = format === "csv" ? "," : "\t";
  let headed = !values.header;
  for (const edge of knownEdges(s, state)) {
    const r = state.edges[edge];
    const row = { mode: r?.mode ?? "available", state: r?.state ?? "out", health: r?.health ?? "None", edge, duration: String(r?.changed ? Math.floor(now - r.changed) : -1), comment: r?.comment ?? "None" };
    if ((health && row.health !== health) || (st && row.state !== st) || (mode && row.mode !== mode)) continue;
    if (format === "json") {
      out(JSON.stringify({ edge, ...(values.quiet ? {} : { time_since_state_change: row.duration }), ...(values.verbose ? { health: row.health, state: row.state } : {}) }));
      continue;
    }
    const [head, fields] = values.verbose ? [["mode", "state", "health", "edgename", "duration", "comment"], [row.mode, row.state, row.health, edge, row.duration, row.comment]] : values.quiet ? [["edgename"], [edge]] : [["edgename", "duration"], [edge, row.duration]];
    if (!headed) out(head.join(sep));
    headed = true;
    out(fields.join(sep));
  }
  return 0;
}

/** Logs a line to syslog (facility daemon) with the system's `logger`; a missing `logger` is a warning. */
async function syslog(message: string): Promise<void> {
  const r = await runProgram("logger", ["-p", "daemon.info", "-t", "edge_conf", "--", message], 5000);
  if (!r.ok) process.stderr.write(`edge_conf: could not log to syslog (${r.error}); pass --no-syslog to skip it\n`);
}

/** edge_conf: -A DNET [-c CONFIG] -m MODE [-C COMMENT] [--no-syslog] EDGE */
async function edgeConf(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c", default: DEFAULT_CONFIG_PATH },
      dnet: { type: "string", short: "A" },
      "no-syslog": { type: "boolean", default: false },
      comment: { type: "string", short: "C" },
      mode: { type: "string", short: "m" },
    },
  });
  const missing = [!values.dnet && "--dnet/-A", !values.mode && "--mode/-m", positionals.length === 0 && "edge"].filter(Boolean);
  if (missing.length) throw new OperatorError(`the following arguments are required: ${missing.join(", ")}`, 2);
  if (positionals.length > 1) throw new OperatorError(`unrecognized arguments: ${positionals.slice(1).join(" ")}`, 2);
  const mode = choice("--mode/-m", values.mode, MODES)!;
  if (mode !== "available" && !values.comment) {
    process.stderr.write("Comment required for mode to be changed to anything but available.\n");
    return 1;
  }
  const user = process.env.SUDO_USER || userInfo().username;
  // As the classic tool: a comment is signed with the user; `available` without one clears it.
  const comment = values.comment ? `[${user}] ${values.comment}` : null;
  const s = loadSettings(values.config, values.dnet!);
  const edge = positionals[0]!;
  await setEdgeModes(s, [edge], mode, comment, false, await toolLogger(false), () => {});
  if (comment && !values["no-syslog"]) await syslog(`Edge ${edge} changed mode to ${mode} with comment ${comment}`);
  out(`Set mode for ${edge} to ${mode}`);
  return 0;
}

/** check_edgemanage_integrity STATEFILE [-w N] [-c N]: CRIT on any verification failure (-c 1). */
function checkIntegrity(argv: string[]): number {
  const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { warn: { type: "string", short: "w" }, critical: { type: "string", short: "c" } } });
  if (positionals.length !== 1) throw new OperatorError("the following arguments are required: statefile", 2);
  number("--warn/-w", values.warn, 1, true);
  const crit = number("--critical/-c", values.critical, 1, true);
  const bad = [...stateFile(positionals[0]!).verificationFailures].sort();
  const status = bad.length >= crit && bad.length > 0 ? 2 : 0;
  const message = bad.length ? `Verification failures on ${bad.length} edges: ${bad.join(",")}` : "All edges returning successfully";
  out(`EDGE_TESTMATCH ${STATUS[status]} ${message} | notok=${bad.length} badedges=${bad.length}`);
  return status;
}

/** check_edgemanage_latency -A DNET [-c CONFIG] [-w SECONDS] [-C SECONDS] [-a] [-v]: the slowest live edge's last fetch. */
async function checkLatency(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      config: { type: "string", short: "c", default: DEFAULT_CONFIG_PATH },
      warn: { type: "string", short: "w" },
      critical: { type: "string", short: "C" },
      all: { type: "boolean", short: "a", default: false },
      verbose: { type: "boolean", short: "v", default: false },
      dnet: { type: "string", short: "A" },
    },
  });
  if (!values.dnet) throw new OperatorError("the following arguments are required: --dnet/-A", 2);
  // The classic defaults were warning 4.0 above critical 2.0 (so never WARN): warning is 1.0 now.
  const warn = number("--warn/-w", values.warn, 1, false);
  const crit = number("--critical/-C", values.critical, 2, false);
  const s = loadSettings(values.config, values.dnet);
  const { state } = await readState(s, await toolLogger(values.verbose));
  let worst: { edge: string; seconds: number } | null = null;
  for (const edge of knownEdges(s, state)) {
    const r = state.edges[edge];
    const last = r ? lastValue(r.samples) : null;
    if (last === null || (!values.all && r!.state !== "in")) continue;
    if (!worst || last > worst.seconds) worst = { edge, seconds: last };
  }
  if (!worst) return out("ACTIVE_EDGE_LATENCY UNKNOWN No fetch data!"), 3;
  const status = worst.seconds >= crit ? 2 : worst.seconds >= warn ? 1 : 0;
  out(`ACTIVE_EDGE_LATENCY ${STATUS[status]} Slowest active edge ${worst.edge} responded in ${worst.seconds.toFixed(6)} | slowestactive=${worst.seconds.toFixed(6)}s;${warn};${crit};0;`);
  return status;
}

/** check_edgemanage_rotation STATEFILE [-w N] [-c N]: live-set changes in the last 10 minutes. */
function checkRotation(argv: string[]): number {
  const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { warn: { type: "string", short: "w" }, critical: { type: "string", short: "c" } } });
  if (positionals.length !== 1) throw new OperatorError("the following arguments are required: statefile", 2);
  const warn = number("--warn/-w", values.warn, 4, true);
  const crit = number("--critical/-c", values.critical, 8, true);
  const state = stateFile(positionals[0]!);
  // The classic check was UNKNOWN until 10 rotations had ever happened: a steady network never got an answer.
  if (state.lastRun === null) return out("EDGE_ROTATE UNKNOWN No run has completed yet | frequency=0"), 3;
  const now = Date.now() / 1000;
  const n = state.rotations.filter((t) => t > now - 600 && t < now).length;
  const status = n >= crit ? 2 : n >= warn ? 1 : 0;
  out(`EDGE_ROTATE ${STATUS[status]} ${n} in 600 seconds | frequency=${n};${warn};${crit};0;`);
  return status;
}

/** Runs one classic tool with its own argument list; a check's own failure is UNKNOWN (exit 3). */
export async function classic(tool: ClassicTool, argv: string[]): Promise<number> {
  const checks = { check_edgemanage_integrity: "EDGE_TESTMATCH", check_edgemanage_latency: "ACTIVE_EDGE_LATENCY", check_edgemanage_rotation: "EDGE_ROTATE" } as const;
  try {
    switch (tool) {
      case "edge_manage":
        return await (await import("./run-command.js")).runMain(argv);
      case "edge_query":
        return await edgeQuery(argv);
      case "edge_conf":
        return await edgeConf(argv);
      case "check_edgemanage_integrity":
        return checkIntegrity(argv);
      case "check_edgemanage_latency":
        return await checkLatency(argv);
      case "check_edgemanage_rotation":
        return checkRotation(argv);
    }
  } catch (err) {
    if (!(tool in checks)) throw err;
    const usage = err instanceof OperatorError && err.exitCode === 2 && /^(argument|the following|unrecognized)/.test(err.message);
    if (usage) throw err;
    out(`${checks[tool as keyof typeof checks]} UNKNOWN ${errorMessage(err).split("\n")[0]}`);
    return 3;
  }
}

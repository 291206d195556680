#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { COMMON_OPTIONS } from "./options.js";
import { DEFAULT_CONFIG_PATH, type NetworkSettings, loadSettings } from "../config/load.js";
import { buildRegistry } from "../metrics/registry.js";
import { MetricsServer, publish } from "../metrics/publish.js";
import { newReport } from "../metrics/report.js";
import { servedSerials } from "../dns/soa.js";
import { parseServer } from "../util/server.js";
import { type RunOptions, runOnce } from "../run/run.js";
import type { StateStore } from "../state/store.js";
import { openStore } from "../state/open-store.js";
import { OperatorError, errorMessage } from "../util/errors.js";
import { type Logger, makeLogger } from "../util/log.js";
import { edgeConf, EDGE_CONF_USAGE } from "./edge-conf.js";
import { IMPORT_USAGE, importClassic } from "./import.js";
import { CHECK_USAGE, check } from "./check.js";
import { QUERY_USAGE, query } from "./query.js";

const VERSION = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;

export const USAGE = `usage: edgemanage -A DNET [-c CONFIG] [-n] [-v] [--force] [--force-update] [--adopt] [--daemonise]
       edgemanage edge-conf -A DNET [-c CONFIG] --mode MODE [--comment TEXT] EDGE...
       edgemanage import -A DNET [-c CONFIG] [--statefile PATH] [--healthdata DIR] [--overwrite]
       edgemanage query -A DNET [-c CONFIG] [--health H] [--state S] [--mode M] [--format F] [--history EDGE]
       edgemanage check integrity|latency|rotation|freshness -A DNET [--config CONFIG] [-w N] [-c N]
       edgemanage --version | --help

Probe every edge of network DNET, choose the healthiest, write the bind zones.

  -A, --dnet NAME      network to manage (required): edgelist_dir/NAME, zonetemplate_dir/NAME
  -c, --config PATH    configuration file (default ${DEFAULT_CONFIG_PATH})
  -n, --dry-run        probe and print the plan; write nothing (no state, zones, live list, commands)
  -v, --verbose        readable debug logs instead of JSON lines
      --force          run even if the previous run was less than 30 s ago
      --force-update   rewrite every zone file even if nothing changed
      --adopt          take over zone files that carry no ownership line (written by another tool)
      --daemonise      run every run_frequency seconds until SIGTERM (in the foreground)
      --version        print the version
  -h, --help           print this help
`;

async function runMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...COMMON_OPTIONS,
      "dry-run": { type: "boolean", short: "n", default: false },
      force: { type: "boolean", default: false },
      "force-update": { type: "boolean", default: false },
      daemonise: { type: "boolean", default: false },
      adopt: { type: "boolean", default: false },
      version: { type: "boolean", default: false },
    },
  });
  if (values.help) return process.stdout.write(USAGE), 0;
  if (values.version) return process.stdout.write(`edgemanage ${VERSION}\n`), 0;
  if (!values.dnet) throw new OperatorError("-A/--dnet NAME is required (the network to manage); see --help", 2);
  const settings = loadSettings(values.config, values.dnet);
  const log = makeLogger(values.verbose);
  const stop = new AbortController();
  const onSignal = (sig: string) => {
    log.warn({ signal: sig }, "signal received: stopping after cleaning up");
    stop.abort();
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
  const opts = { dryRun: values["dry-run"], force: values.force, forceUpdate: values["force-update"], adopt: values.adopt, signal: stop.signal };
  const store = await openStore(settings, log);
  if (!values.daemonise) return runAndReport(settings, store, opts, log, null);
  // In the foreground: containers and systemd supervise; there is no fork.
  const server = new MetricsServer(3 * settings.config.run_frequency);
  const at = await server.listen(settings.config.metrics.listen);
  log.info({ listen: at }, `serving /metrics and /healthz on ${at}`);
  let exitCode = 0;
  try {
    while (!stop.signal.aborted) {
      try {
        exitCode = await runAndReport(settings, store, { ...opts, force: true }, log, server);
      } catch (err) {
        if (stop.signal.aborted) break;
        exitCode = 1;
        log.error({ err: errorMessage(err) }, "run failed; trying again next period");
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, settings.config.run_frequency * 1000);
        stop.signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  } finally {
    await server.close();
  }
  return stop.signal.aborted ? 0 : exitCode;
}

/** One run, then its metrics (textfile, Pushgateway, /metrics): published whatever the outcome, never changing it. */
async function runAndReport(settings: NetworkSettings, store: StateStore, opts: RunOptions, log: Logger, server: MetricsServer | null): Promise<number> {
  const started = performance.now();
  let report = newReport(settings.dnet);
  let exitCode = 1;
  let failure: unknown = null;
  try {
    const r = await runOnce(settings, store, opts, log, (t) => process.stdout.write(t));
    ({ report, exitCode, failure } = r);
  } catch (err) {
    failure = err;
    exitCode = err instanceof OperatorError ? err.exitCode : 1;
  }
  const end = { now: Date.now() / 1000, durationSeconds: Math.round(performance.now() - started) / 1000, exitCode };
  if (!opts.dryRun) {
    const dns = settings.config.metrics.dns_server;
    // Bounded (1 s, twice): asking what is served never holds the run up for long.
    if (dns && report.writtenSerials?.size) report.served = await servedSerials(parseServer(dns)!, [...report.writtenSerials.keys()], 1000, 2);
    const registry = buildRegistry(report, end);
    await publish(settings.config.metrics, settings.metricsTextfile, settings.dnet, registry, log);
    await server?.update(registry, end.now);
  }
  log.info({ seconds: end.durationSeconds, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024), exitCode }, "run finished");
  if (failure !== null) throw failure;
  return exitCode;
}

export async function main(argv: string[]): Promise<number> {
  try {
    if (argv[0] === "edge-conf") return await edgeConf(argv.slice(1));
    if (argv[0] === "import") return await importClassic(argv.slice(1));
    if (argv[0] === "query") return await query(argv.slice(1));
    if (argv[0] === "check") return await check(argv.slice(1));
    return await runMain(argv);
  } catch (err) {
    if (err instanceof OperatorError) {
      process.stderr.write(`edgemanage: ${err.message}\n`);
      return err.exitCode;
    }
    const code = (err as { code?: string }).code;
    if (code?.startsWith("ERR_PARSE_ARGS")) {
      const usages: Record<string, string> = { "edge-conf": EDGE_CONF_USAGE, import: IMPORT_USAGE, query: QUERY_USAGE, check: CHECK_USAGE };
      const usage = usages[argv[0] ?? ""] ?? USAGE;
      process.stderr.write(`edgemanage: ${(err as Error).message}\n${usage}`);
      return 2;
    }
    process.stderr.write(`edgemanage: ${errorMessage(err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});

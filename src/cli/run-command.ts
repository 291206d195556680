import { parseArgs } from "node:util";
import { COMMON_OPTIONS } from "./options.js";
import { USAGE, VERSION } from "./usage.js";
import { type NetworkSettings, loadSettings } from "../config/load.js";
import type { MetricsServer } from "../metrics/publish.js";
import { newReport } from "../metrics/report.js";
import { type RunOptions, runOnce } from "../run/run.js";
import type { StateStore } from "../state/store.js";
import { openStore } from "../state/open-store.js";
import { OperatorError, errorMessage } from "../util/errors.js";
import { type Logger, makeLogger } from "../util/log.js";
import { parseServer } from "../util/server.js";
import { monotonicMs } from "../util/monotonic.js";


/** A clock that reads `epochSeconds` at start-up and runs on from there. */
function clockAt(epochSeconds: string): () => number {
  const at = Number(epochSeconds);
  if (!Number.isFinite(at) || at < 0) throw new OperatorError(`EDGEMANAGE_NOW: '${epochSeconds}' is not a time in epoch seconds; unset it to use the clock`, 2);
  const offset = at * 1000 - Date.now();
  return () => Date.now() + offset;
}

/** `edgemanage -A DNET …`: one run, or runs every run_frequency with --daemonise. */
export async function runMain(argv: string[]): Promise<number> {
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
  // A dry run's answer is the plan, on stdout: its log lines go to stderr.
  const log = await makeLogger(values.verbose, values["dry-run"] ? 2 : 1);
  const stop = new AbortController();
  const onSignal = (sig: string) => {
    log.warn({ signal: sig }, "signal received: stopping after cleaning up");
    stop.abort();
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
  // EDGEMANAGE_NOW (epoch seconds): decide as if the clock read that, for tests and replays of a state.
  const fixedNow = process.env.EDGEMANAGE_NOW;
  const clock = fixedNow === undefined ? undefined : clockAt(fixedNow);
  const opts = { dryRun: values["dry-run"], force: values.force, forceUpdate: values["force-update"], adopt: values.adopt, signal: stop.signal, clock };
  const store = await openStore(settings, log);
  if (!values.daemonise) return runAndReport(settings, store, opts, log, null);
  // In the foreground: containers and systemd supervise; there is no fork.
  const { MetricsServer } = await import("../metrics/publish.js");
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
  const started = monotonicMs();
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
  const end = { now: Date.now() / 1000, durationSeconds: Math.round(monotonicMs() - started) / 1000, exitCode };
  const m = settings.config.metrics;
  // prom-client is loaded only when the metrics go somewhere.
  if (!opts.dryRun && (m.pushgateway || settings.metricsTextfile || server)) {
    const [{ buildRegistry }, { publish, groupingOf }, { servedSerials }] = await Promise.all([import("../metrics/registry.js"), import("../metrics/publish.js"), import("../dns/soa.js")]);
    // Bounded (1 s, twice): asking what is served never holds the run up for long.
    if (m.dns_server && report.writtenSerials?.size) report.served = await servedSerials(parseServer(m.dns_server)!, [...report.writtenSerials.keys()], 1000, 2);
    const registry = buildRegistry(report, end);
    await publish(m, settings.metricsTextfile, groupingOf(settings.dnet, settings.config.vantage?.name ?? null), registry, log);
    await server?.update(registry, end.now);
  }
  // One record per run for log shipping: what was decided and done, the Job's pod may be gone tomorrow.
  const d = report.decision;
  const summary = {
    dnet: settings.dnet,
    live: d ? [...d.live].sort() : undefined,
    changes: d?.changes.filter((c) => c.change !== "stay").map((c) => ({ edge: c.edge, change: c.change, reason: c.reason })),
    guard: d?.guard.status,
    zonesWritten: report.written ?? [],
    zonesRefused: (report.zones ?? []).filter((z) => z.refused !== undefined).map((z) => z.domain),
    stateSave: report.stateSave,
  };
  log.info({ ...summary, seconds: end.durationSeconds, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024), exitCode }, "run finished");
  if (failure !== null) throw failure;
  return exitCode;
}


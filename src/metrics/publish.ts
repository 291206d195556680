import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { StatusServer } from "../util/status-server.js";
import { Pushgateway, type Registry } from "prom-client";
import { errorMessage } from "../util/errors.js";
import { writeFileAtomic } from "../util/fs.js";
import { mergeExposition } from "./exposition.js";

export interface MetricsSettings {
  pushgateway?: string | null;
  job: string;
  push_timeout: number;
}

/** The Pushgateway group of a network's runs: job, network, and the vantage (several vantages share one gateway). */
export const groupingOf = (dnet: string, vantage: string | null): Record<string, string> => (vantage ? { dnet, vantage } : { dnet });

/**
 * Pushes with POST (pushAdd), grouped by job, network and vantage: only the families this run reports
 * are replaced. Bounded by `push_timeout`; a Pushgateway that is down or slow is logged, never fatal.
 */
export async function push(url: string, job: string, groupings: Record<string, string>, registry: Registry, timeoutSeconds: number, log: Logger): Promise<void> {
  const ms = timeoutSeconds * 1000;
  const gateway = new Pushgateway(url, { timeout: ms, signal: AbortSignal.timeout(ms) }, registry);
  try {
    await gateway.pushAdd({ jobName: job, groupings });
    log.info({ pushgateway: url, job, ...groupings }, "metrics pushed");
  } catch (err) {
    log.error({ pushgateway: url, err: errorMessage(err) }, `metrics not pushed (the run's outcome is unchanged): ${errorMessage(err)}`);
  }
}

/** The node-exporter textfile: written atomically (write + rename), merged with the previous file. */
export function writeTextfile(file: string, text: string, log: Logger): void {
  let previous = "";
  try {
    previous = readFileSync(file, "utf8");
  } catch {
    // first write
  }
  try {
    writeFileAtomic(file, mergeExposition(previous, text));
    log.info({ textfile: file }, "metrics textfile written");
  } catch (err) {
    log.error({ textfile: file, err: errorMessage(err) }, "metrics textfile not written; fix metrics.textfile");
  }
}

export async function publish(m: MetricsSettings, textfile: string | null, groupings: Record<string, string>, registry: Registry, log: Logger): Promise<void> {
  const text = await registry.metrics();
  if (textfile) writeTextfile(textfile, text, log);
  if (m.pushgateway) await push(m.pushgateway, m.job, groupings, registry, m.push_timeout, log);
}

/** `edgemanage metrics forget`: deletes the network's group at the Pushgateway (a removed network's series would stay forever). */
export async function forget(m: MetricsSettings & { pushgateway: string }, groupings: Record<string, string>): Promise<void> {
  const ms = m.push_timeout * 1000;
  await new Pushgateway(m.pushgateway, { timeout: ms, signal: AbortSignal.timeout(ms) }).delete({ jobName: m.job, groupings });
}

/**
 * With --daemonise: the last runs' metrics on /metrics and liveness on /healthz (200 while the last
 * completed run is younger than `staleAfter` seconds, 503 after).
 */
export class MetricsServer {
  private text = "";
  private lastRunEnd: number | null = null;
  private readonly server: StatusServer;

  constructor(private readonly staleAfter: number) {
    this.server = new StatusServer(
      () => this.text,
      () => {
        const age = this.lastRunEnd === null ? null : Date.now() / 1000 - this.lastRunEnd;
        const ok = age !== null && age < this.staleAfter;
        return { ok, text: ok ? `ok: last run ended ${Math.round(age)}s ago` : `stale: ${age === null ? "no run has ended yet" : `last run ended ${Math.round(age)}s ago`}` };
      },
    );
  }

  listen(address: string): Promise<string> {
    return this.server.listen(address);
  }

  async update(registry: Registry, runEnd: number): Promise<void> {
    this.text = mergeExposition(this.text, await registry.metrics());
    this.lastRunEnd = runEnd;
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

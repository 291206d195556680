import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_CONFIG_PATH, loadSettings } from "../config/load.js";
import { ZonePuller } from "../ops/pull.js";
import { makeS3Client } from "../state/s3-store.js";
import { ZoneBucket } from "../state/zone-bucket.js";
import { OperatorError } from "../util/errors.js";
import { ensureDir } from "../util/fs.js";
import { makeLogger } from "../util/log.js";
import { StatusServer } from "../util/status-server.js";

export const ZONES_USAGE = `usage: edgemanage zones pull --to DIR --network DNET [--network DNET ...] [-c CONFIG]
                           [--every SECONDS] [--once] [--listen HOST:PORT] [-v]

Keeps DIR holding the zones the runs upload to the state bucket (zone_transport: s3 or both), for a
bind that has no shared volume: each cycle GETs each network's manifest (If-None-Match: a 304 when
nothing changed), fetches the zones whose sha256 changed, checks each, writes it atomically, then
writes DIR/.edgemanage.DNET.stamp for the reloader. A zone is never removed, nor replaced by one that
fails a check: the last good one stays and the fault is logged and counted.

  --to DIR              the folder to keep (created if missing)
  --network DNET        a network whose zones to pull (repeat for several)
  -c, --config CONFIG   the configuration naming the bucket (default ${DEFAULT_CONFIG_PATH})
  --every SECONDS       seconds between cycles (default 5)
  --once                one cycle, then exit: 0 when every network was pulled, 1 otherwise
  --listen HOST:PORT    serve /metrics and /healthz (healthy while every network was pulled within 3 cycles)
`;

/** `edgemanage zones pull …` */
export async function zones(argv: string[]): Promise<number> {
  if (argv[0] === "-h" || argv[0] === "--help") return process.stdout.write(ZONES_USAGE), 0;
  if (argv[0] !== "pull") throw new OperatorError(`zones: unknown subcommand '${argv[0] ?? ""}'; expected: zones pull (see zones --help)`, 2);
  const { values } = parseArgs({
    args: argv.slice(1),
    strict: true,
    options: {
      to: { type: "string" },
      network: { type: "string", multiple: true, default: [] },
      config: { type: "string", short: "c", default: DEFAULT_CONFIG_PATH },
      every: { type: "string", default: "5" },
      once: { type: "boolean", default: false },
      listen: { type: "string" },
      verbose: { type: "boolean", short: "v", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return process.stdout.write(ZONES_USAGE), 0;
  if (!values.to) throw new OperatorError("zones pull: --to DIR is required (the folder bind's reloader reads)", 2);
  if (!values.network.length) throw new OperatorError("zones pull: name at least one --network DNET", 2);
  const every = Number(values.every);
  if (!Number.isFinite(every) || every < 1 || every > 3600) throw new OperatorError(`zones pull: --every '${values.every}' is not a number of seconds from 1 to 3600`, 2);
  const buckets = values.network.map((dnet) => {
    const s = loadSettings(values.config, dnet);
    if (!s.s3?.zonesPrefix) throw new OperatorError(`${s.configPath}: zone_transport is volume for network ${dnet}: runs do not upload its zones; set zone_transport: s3 (or both) with state.backend: s3`, 2);
    return { dnet, bucket: new ZoneBucket(makeS3Client(s.s3), s.s3.bucket, s.s3.zonesPrefix) };
  });
  const dir = resolve(values.to);
  ensureDir(dir);
  const log = await makeLogger(values.verbose, 2);
  const puller = new ZonePuller(dir, buckets, log);
  if (values.once) {
    const results = await puller.cycle();
    return results.some((r) => r.errors.length) ? 1 : 0;
  }
  const stop = new AbortController();
  process.once("SIGTERM", () => stop.abort());
  process.once("SIGINT", () => stop.abort());
  const server = values.listen ? new StatusServer(() => puller.metrics(), () => puller.health(Math.max(3 * every, 30))) : null;
  if (server) log.info({ listen: await server.listen(values.listen!) }, "zones pull: serving /metrics and /healthz");
  log.info({ dir, networks: values.network, every }, `zones pull: keeping ${dir} every ${every}s`);
  try {
    while (!stop.signal.aborted) {
      await puller.cycle(Math.min(every * 1000, 20_000) + 5_000);
      await new Promise<void>((r) => {
        const t = setTimeout(r, every * 1000);
        stop.signal.addEventListener("abort", () => (clearTimeout(t), r()), { once: true });
      });
    }
  } finally {
    await server?.close();
  }
  return 0;
}

import { parseArgs } from "node:util";
import { DEFAULT_CONFIG_PATH, type NetworkSettings, loadSettings } from "../config/load.js";
import { settingsFromStateUrl } from "../config/state-url.js";
import type { NetworkState } from "../core/state.js";
import { servedSerials } from "../dns/soa.js";
import { parseServer } from "../util/server.js";
import { CHECKS, type CheckName, type CheckResult, DEFAULT_THRESHOLDS, type Thresholds, formatCheck, runCheck } from "../ops/checks.js";
import { checkServed } from "../ops/served.js";
import { checkDnssec } from "../ops/dnssec-check.js";
import { trustAnchor } from "../ops/dnssec-keys.js";
import { servedDnssec } from "../dns/dnssec-query.js";
import { readState } from "../ops/read-state.js";
import { errorMessage } from "../util/errors.js";
import { toolLogger } from "../util/log.js";

export const CHECK_USAGE = `usage: edgemanage check integrity|latency|rotation|freshness|served|dnssec -A DNET [--config CONFIG | --state-url s3://BUCKET/PREFIX]
                        [-w WARNING] [-c CRITICAL] [--all] [--server HOST[:PORT]] [-v]

Nagios checks of network DNET from its state (file or S3): one status line, then perfdata; exit 0 OK,
1 WARNING, 2 CRITICAL, 3 UNKNOWN. Note: -c is the critical threshold here, as Nagios has it; the
configuration is --config (default ${DEFAULT_CONFIG_PATH}).

  integrity   edges that served a wrong test object in the last run   (default -w 1 -c 1: any is CRITICAL)
  latency     mean fetch time of the live edges (--all: every edge), s (default -w 1 -c 2)
  rotation    live-set changes in the last hour                        (default -w 3 -c 6)
  freshness   seconds since the last completed run                     (default -w 180 -c 600)
  served      seconds a DNS server has not served the zone serial written (default -w 30 -c 300);
              --server HOST[:PORT]: the server asked (default $EDGEMANAGE_DNS_SERVER, else 127.0.0.1:53)
  dnssec      days before the served signatures expire; CRITICAL also when a zone does not validate
              with its own KSK as the trust anchor (delv)              (default -w 4 -c 2); --server as above
`;

const DEFAULT_DNS_SERVER = "127.0.0.1:53";

/** Asks the server for every zone the state records, at once, each bounded in time. */
async function checkServedNow(state: NetworkState, server: string, t: Thresholds): Promise<CheckResult> {
  const where = parseServer(server);
  if (!where) throw new Error(`--server: '${server}' is not HOST[:PORT]`);
  return checkServed(state, await servedSerials(where, Object.keys(state.zones)), Date.now() / 1000, t);
}

/** Asks the server for every zone the state records signed, validating each against its own KSK. */
async function checkDnssecNow(s: NetworkSettings, state: NetworkState, server: string, t: Thresholds): Promise<CheckResult> {
  const where = parseServer(server);
  if (!where) throw new Error(`--server: '${server}' is not HOST[:PORT]`);
  if (!s.dnssecKeys) throw new Error(`${s.configPath}: dnssec.keys is not set: the check validates with the zones' KSKs`);
  const signed = Object.keys(state.zones).filter((z) => state.zones[z]!.signedUntil !== undefined).sort();
  const anchors = new Map(signed.map((z) => [z, trustAnchor(s.dnssecKeys!, z, s.config.dnssec.algorithm)]));
  return checkDnssec(await servedDnssec(where, anchors), Date.now() / 1000, t);
}

/** Every failure is UNKNOWN with its reason, on one line: a check never prints a stack trace. */
export async function check(argv: string[]): Promise<number> {
  const name = argv[0] as CheckName;
  if (argv[0] === "-h" || argv[0] === "--help") return process.stdout.write(CHECK_USAGE), 0;
  const label = (CHECKS as readonly string[]).includes(argv[0] ?? "") ? name.toUpperCase() : "CHECK";
  try {
    if (label === "CHECK") throw new Error(`name a check: ${CHECKS.join(", ")}`);
    const { values } = parseArgs({
      args: argv.slice(1),
      options: {
        dnet: { type: "string", short: "A" },
        config: { type: "string", default: DEFAULT_CONFIG_PATH },
        "state-url": { type: "string" },
        warning: { type: "string", short: "w" },
        critical: { type: "string", short: "c" },
        all: { type: "boolean", default: false },
        server: { type: "string" },
        verbose: { type: "boolean", short: "v", default: false },
      },
    });
    if (!values.dnet) throw new Error("-A/--dnet NAME is required");
    const threshold = (flag: string, v: string | undefined, fallback: number) => {
      if (v === undefined) return fallback;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${flag} must be a number of at least 0`);
      return n;
    };
    const d = DEFAULT_THRESHOLDS[name];
    const t = { warning: threshold("-w", values.warning, d.warning), critical: threshold("-c", values.critical, d.critical) };
    const settings = values["state-url"] ? settingsFromStateUrl(values["state-url"], values.dnet) : loadSettings(values.config, values.dnet);
    const { state } = await readState(settings, await toolLogger(values.verbose));
    const server = values.server ?? process.env.EDGEMANAGE_DNS_SERVER ?? DEFAULT_DNS_SERVER;
    const r = name === "served" ? await checkServedNow(state, server, t) : name === "dnssec" ? await checkDnssecNow(settings, state, server, t) : runCheck(name, state, Date.now() / 1000, t, values.all);
    process.stdout.write(formatCheck(name, settings.dnet, r));
    return r.status;
  } catch (err) {
    process.stdout.write(`EDGEMANAGE ${label} UNKNOWN - ${errorMessage(err).split("\n")[0]}\n`);
    return 3;
  }
}

import { readFileSync } from "node:fs";
import { DEFAULT_CONFIG_PATH } from "../config/defaults.js";

export const VERSION = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;

export const USAGE = `usage: edgemanage -A DNET [-c CONFIG] [-n] [-v] [--force] [--force-update] [--adopt] [--daemonise]
       edgemanage edge-conf -A DNET [-c CONFIG | --state-url URL] --mode MODE [--comment TEXT] EDGE...
       edgemanage import -A DNET [-c CONFIG] [--statefile PATH] [--healthdata DIR] [--overwrite]
       edgemanage query -A DNET [-c CONFIG | --state-url URL] [--health H] [--state S] [--mode M] [--format F] [--history EDGE]
       edgemanage check integrity|latency|rotation|freshness|served|dnssec -A DNET [--config CONFIG | --state-url URL] [-w N] [-c N]
       edgemanage dnssec keygen|ds -A DNET [-c CONFIG]
       edgemanage metrics forget -A DNET [-c CONFIG]
       edgemanage zones pull --to DIR --network DNET... [-c CONFIG] [--every S] [--once] [--listen HOST:PORT]
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

/** The classic tools' names: the same program under these names parses their own command lines. */
export const CLASSIC_TOOLS = ["edge_manage", "edge_query", "edge_conf", "check_edgemanage_integrity", "check_edgemanage_latency", "check_edgemanage_rotation"] as const;
export type ClassicTool = (typeof CLASSIC_TOOLS)[number];

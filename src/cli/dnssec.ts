import { parseArgs } from "node:util";
import { DEFAULT_CONFIG_PATH, loadSettings } from "../config/load.js";
import { readZoneIncludes } from "../config/inputs.js";
import { dsRecords, keygen, secretKeyOf } from "../ops/dnssec-keys.js";
import { OperatorError } from "../util/errors.js";

export const DNSSEC_USAGE = `usage: edgemanage dnssec keygen -A DNET [-c CONFIG]
       edgemanage dnssec ds -A DNET [-c CONFIG]

  keygen   make a KSK and a ZSK (dnssec.algorithm) for every zone of DNET that lacks them, in the
           dnssec.keys folder; print them and the kubectl command that makes the chart's Secret
  ds       print the DS records (SHA-256) of every zone's KSK: give them to the parent zone
`;

/** `edgemanage dnssec keygen|ds -A DNET` */
export async function dnssec(argv: string[]): Promise<number> {
  const sub = argv[0];
  if (sub === "-h" || sub === "--help") return process.stdout.write(DNSSEC_USAGE), 0;
  if (sub !== "keygen" && sub !== "ds") throw new OperatorError(`dnssec: expected keygen or ds, not '${sub ?? ""}' (see dnssec --help)`, 2);
  const { values } = parseArgs({ args: argv.slice(1), strict: true, options: { dnet: { type: "string", short: "A" }, config: { type: "string", short: "c", default: DEFAULT_CONFIG_PATH }, namespace: { type: "string", default: "NAMESPACE" } } });
  if (!values.dnet) throw new OperatorError("dnssec: -A DNET is required", 2);
  const s = loadSettings(values.config, values.dnet);
  if (!s.dnssecKeys) throw new OperatorError(`${s.configPath}: dnssec.keys is not set: name the folder of the key pairs`, 2);
  const zones = [...readZoneIncludes(s.zonetemplateDir).keys()].sort();
  if (sub === "ds") {
    process.stdout.write(`${(await dsRecords(s.dnssecKeys, zones, s.config.dnssec.algorithm)).join("\n")}\n`);
    return 0;
  }
  const r = await keygen(s.dnssecKeys, zones, s.config.dnssec.algorithm);
  const lines = [...r.made.map((m) => `created ${m}`), ...r.kept.map((k) => `kept the existing ${k}`)];
  const from = r.files.map((f) => `  --from-file=${secretKeyOf(f)}=${s.dnssecKeys}/${f}`).join(" \\\n");
  process.stdout.write(`${lines.join("\n")}\n\nThe chart's Secret (dnssec.existingSecret), from these files (a Secret key cannot hold '+': '_' stands for it):\nkubectl -n ${values.namespace} create secret generic edgemanage-dnssec-${s.dnet} \\\n${from}\n\nThen give the parent zone the DS records: edgemanage dnssec ds -A ${s.dnet}\n`);
  return 0;
}

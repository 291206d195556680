/**
 * npm run bench:dnssec: the run time signing adds. One network of 200 zones and 3 loopback edges;
 * a run that writes every zone (--force-update) unsigned, then the same run with dnssec.enabled
 * (every zone signed with dnssec-signzone and checked with dnssec-verify and named-checkzone).
 */
import { cpus } from "node:os";
import { EdgeSim, loopbackAddresses } from "../support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "../support/fixture.js";
import { runInstalled } from "../support/tools.js";

const ZONES = Array.from({ length: 200 }, (_, i) => `zone${String(i).padStart(3, "0")}.example`);
const edges = loopbackAddresses(3, 7000);
const sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
const fx = new Fixture({ edges, port: sim.port, installed: true, zones: Object.fromEntries(ZONES.map((z) => [z, "mail\tIN\tA\t192.0.2.25\n"])) });
const seconds = (out: string) => (out.trim().split("\n").map((l) => JSON.parse(l) as { msg: string; seconds?: number }).find((l) => l.msg === "run finished")?.seconds ?? NaN);
const timed = async (): Promise<number> => {
  const r = await fx.run("--force-update");
  if (r.code !== 0) throw new Error(r.stdout.slice(-2000) + r.stderr);
  return seconds(r.stdout);
};
fx.writeConfig({ zone_check: "always" });
await timed();
const unsigned = await timed();
fx.writeConfig({ zone_check: "always", dnssec: { enabled: false, keys: "keys" } });
const keygen = await runInstalled(["dnssec", "keygen", "-A", fx.dnet, "-c", fx.configPath]);
if (keygen.code !== 0) throw new Error(keygen.stderr);
fx.writeConfig({ zone_check: "always", dnssec: { enabled: true, keys: "keys" } });
await timed();
const signed = await timed();
await sim.close();
fx.cleanup();
console.log(`signing ${ZONES.length} zones in a run (${cpus().length} cores, node ${process.version}); every zone written (--force-update), checked with named-checkzone

| run | seconds |
| --- | --- |
| unsigned | ${unsigned.toFixed(2)} |
| signed (dnssec-signzone + dnssec-verify per zone, one per core at a time) | ${signed.toFixed(2)} |
| added by signing | ${(signed - unsigned).toFixed(2)} (${((signed - unsigned) / ZONES.length * 1000).toFixed(0)} ms a zone) |`);

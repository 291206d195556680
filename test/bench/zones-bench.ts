/**
 * npm run bench:zones: zones through the bucket (zone_transport s3). One network of 200 domains, a
 * real run against s3rver, 3 pulling replicas (each: `edgemanage zones pull --every 1`, the chart's
 * reloader script, a named). Reports the S3 requests of a pull cycle when nothing changed, the bytes
 * moved for one changed zone, and the delay from the run's end to the last replica serving it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpus } from "node:os";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { EdgeSim, loopbackAddresses } from "../support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "../support/fixture.js";
import { Named } from "../support/named.js";
import { PreconditionLayer, S3_ENV } from "../support/s3.js";
import { CLI, NODE_FLAGS, ROOT, run, runInstalled } from "../support/tools.js";

const DOMAINS = Array.from({ length: 200 }, (_, i) => `zone${String(i).padStart(3, "0")}.example`);
const REPLICAS = 3;
const PULL_EVERY = 1;

const edges = loopbackAddresses(3, 6000);
const sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
const s3 = await PreconditionLayer.start(["state"]);
const fx = new Fixture({ edges, port: sim.port, installed: true, zones: Object.fromEntries(DOMAINS.map((d) => [d, ""])) });
fx.writeConfig({ state: { backend: "s3", bucket: "state", force_path_style: true }, zone_transport: "s3", zone_check: "never" });
const env = { ...S3_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint };
const children: ChildProcess[] = [];
const cleanup = async (replicas: { named: Named }[]) => {
  for (const c of children) c.kill("SIGTERM");
  for (const r of replicas) await r.named.stop();
  await sim.close();
  await s3.stop();
  fx.cleanup();
};

const first = await runInstalled(["-A", fx.dnet, "-c", fx.configPath, "--force"], env);
if (first.code !== 0) throw new Error(first.stderr);

// Each replica: pull once, then named on the copies, then the puller and the reloader running.
const replicas: { named: Named; dir: string }[] = [];
for (let i = 0; i < REPLICAS; i++) {
  const dir = fx.path(`replica${i}`);
  for (const d of ["pulled", "serving"]) mkdirSync(join(dir, d), { recursive: true });
  const once = await runInstalled(["zones", "pull", "--once", "--to", join(dir, "pulled"), "--network", fx.dnet, "-c", fx.configPath], env);
  if (once.code !== 0) throw new Error(once.stderr);
  const reloadEnv = { ...process.env, ZONES: DOMAINS.join(" "), ZONES_SRC: join(dir, "pulled"), ZONES_DST: join(dir, "serving"), RELOAD_INTERVAL: "1" };
  await run("sh", [join(ROOT, "helm/edgemanage/files/reload-zones.sh"), "once"], { env: reloadEnv });
  const named = await Named.start(DOMAINS.map((d) => ({ name: d, file: join(dir, "serving", `${d}.zone`) })));
  replicas.push({ named, dir });
  children.push(spawn(process.execPath, [...NODE_FLAGS, CLI, "zones", "pull", "--to", join(dir, "pulled"), "--network", fx.dnet, "-c", fx.configPath, "--every", String(PULL_EVERY)], { env: { ...process.env, ...env }, stdio: "ignore" }));
  children.push(spawn("sh", [join(ROOT, "helm/edgemanage/files/reload-zones.sh"), "watch"], { env: { ...reloadEnv, RNDC_PORT: String(named.controlPort), RNDC_KEY: named.keyFile }, stdio: "ignore" }));
}

// Nothing changed: what one pull cycle of one replica costs.
await new Promise((r) => setTimeout(r, 1500));
const quietFrom = s3.requests.length;
const quietSeconds = 5;
await new Promise((r) => setTimeout(r, quietSeconds * 1000));
const quiet = s3.requests.slice(quietFrom);
const perCycle = quiet.length / (REPLICAS * (quietSeconds / PULL_EVERY));

// One zone changes.
const soa = async (port: number, zone: string) => Number((await run("dig", ["@127.0.0.1", "-p", String(port), "+short", "+norecurse", zone, "SOA"])).stdout.split(/\s+/)[2]);
const changed = DOMAINS[123]!;
fx.setInclude(changed, "@\tIN\tTXT\t\"changed\"\n");
const before = await soa(replicas[0]!.named.port, changed);
const from = s3.requests.length;
const r = await runInstalled(["-A", fx.dnet, "-c", fx.configPath, "--force"], env);
if (r.code !== 0) throw new Error(r.stderr);
const ended = Date.now();
const served = await Promise.all(
  replicas.map(async (rep) => {
    for (;;) {
      const s = await soa(rep.named.port, changed);
      if (s !== before && Number.isInteger(s)) return (Date.now() - ended) / 1000;
      if (Date.now() - ended > 30_000) throw new Error(`replica never served the new serial of ${changed}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }),
);
await new Promise((res) => setTimeout(res, 1000));
const moved = s3.requests.slice(from).filter((q) => q.path.includes("/zones/"));
const bytes = (xs: typeof moved) => xs.reduce((n, q) => n + (q.method === "PUT" ? (q.bytesIn ?? 0) : (q.bytesOut ?? 0)), 0);
const kinds = (xs: typeof moved) => [...new Set(xs.map((q) => `${q.method} ${q.path.split("/").at(-1)}`))].sort().join(", ");
await cleanup(replicas);
rmSync(fx.dir, { recursive: true, force: true });

console.log(`zones through the bucket: ${DOMAINS.length} domains, ${REPLICAS} pulling replicas every ${PULL_EVERY}s (${cpus().length} cores, node ${process.version})

| figure | value | goal |
| --- | --- | --- |
| S3 requests per pull cycle and replica, nothing changed | ${perCycle.toFixed(2)} (${kinds(quiet)}) | 1 conditional GET per network |
| requests for one changed zone: the run, then all replicas | ${moved.length} (${kinds(moved)}) | |
| bytes moved for one changed zone (uploads + downloads, manifest included) | ${bytes(moved)} | |
| run end → last replica serves the new serial | ${Math.max(...served).toFixed(2)} s (each: ${served.map((s) => s.toFixed(2)).join(", ")}) | ≤ pull interval + 1 s = ${PULL_EVERY + 1} s |`);

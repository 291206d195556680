/**
 * npm run bench:vantage: 3 vantages × 1000 loopback edges against one s3rver (behind the precondition
 * layer), and the same network with a single prober. Prints, per run, the S3 requests and bytes, and
 * the wall time of a vantage's run against a single prober's.
 */
import { EdgeSim, loopbackAddresses } from "../support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "../support/fixture.js";
import { PreconditionLayer, S3_ENV } from "../support/s3.js";
import { runInstalled } from "../support/tools.js";

const COUNT = Number(process.env.BENCH_EDGES ?? 1000);
const INTERVAL = 30;
const edges = loopbackAddresses(COUNT, 1000);
const sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
for (const [i, e] of edges.entries()) await sim.set(e, { kind: "ok", delayMs: i % 50 });
const s3 = await PreconditionLayer.start(["bench"]);
const env = { ...S3_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint };
const common = { goodenough: 0.7, edge_count: 4, timeout: 10, run_deadline: 40, live_list: null };

const single = new Fixture({ edges, port: sim.port, installed: true });
single.writeConfig({ ...common, state: { backend: "s3", bucket: "bench", key: "single/{dnet}.state.json.gz", force_path_style: true } });
const names = ["a", "b", "c"];
const vantages = names.map((name) => {
  const fx = new Fixture({ edges, port: sim.port, installed: true });
  fx.writeConfig({ ...common, state: { backend: "s3", bucket: "bench", force_path_style: true }, vantage: { name, peers: names, interval: INTERVAL } });
  return { name, fx };
});

async function measure(label: string, fx: Fixture) {
  const from = s3.requests.length;
  const t0 = performance.now();
  const r = await runInstalled(["-A", fx.dnet, "-c", fx.configPath, "--force"], env);
  const wall = (performance.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`${label}: ${r.stdout}${r.stderr}`);
  const reqs = s3.requests.slice(from);
  const byKind = new Map<string, number>();
  for (const q of reqs) {
    const what = `${q.method} ${q.path.includes("/observations/") ? "observations" : "state"}`;
    byKind.set(what, (byKind.get(what) ?? 0) + 1);
  }
  const bytes = reqs.reduce((n, q) => n + (q.bytesIn ?? 0) + (q.bytesOut ?? 0), 0);
  return { label, wallSeconds: Number(wall.toFixed(2)), requests: reqs.length, byKind: Object.fromEntries([...byKind].sort()), bytes };
}

const out = [];
// Warm up the state and observation objects, so the measured runs are steady-state runs.
await measure("warm-up single", single);
for (const v of vantages) await measure(`warm-up ${v.name}`, v.fx);
await new Promise((r) => setTimeout(r, INTERVAL * 1000 - (Date.now() % (INTERVAL * 1000)) + 100));
out.push(await measure("single prober", single));
for (const v of vantages) out.push(await measure(`vantage ${v.name}${v.name === "a" ? " (decides)" : " (adopts)"}`, v.fx));
console.log(JSON.stringify({ edges: COUNT, vantages: names.length, runs: out }, null, 2));
await sim.close();
await s3.stop();
for (const fx of [single, ...vantages.map((v) => v.fx)]) fx.cleanup();

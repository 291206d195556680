/**
 * npm run demo: the main job on an embedded default. Starts ten simulated edges on loopback
 * (127.0.77.1-10, staggered delays, one down), writes a classic edgemanage.yaml into .tmp/demo with
 * local state, and runs the real CLI twice: once on a healthy fleet, once after a live edge fails;
 * then shows the state as an operator sees it (query, checks).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { EdgeSim } from "../support/edge-sim.js";
import { TEST_OBJECT } from "../support/fixture.js";
import { ROOT, runCli } from "../support/tools.js";

const dir = join(ROOT, ".tmp", "demo");
rmSync(dir, { recursive: true, force: true });
for (const d of ["edges", "zones/demo", "named", "state", "health"]) mkdirSync(join(dir, d), { recursive: true });
const edges = Array.from({ length: 10 }, (_, i) => `127.0.77.${i + 1}`);
const sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
for (const [i, e] of edges.entries()) await sim.set(e, i === 9 ? { kind: "refuse" } : { kind: "ok", delayMs: 40 * ((i * 7) % 10) });

writeFileSync(join(dir, "object.edgemanage"), TEST_OBJECT);
writeFileSync(join(dir, "edges", "demo"), `# the demo network's edges\n${edges.join("\n")}\n`);
writeFileSync(join(dir, "zones", "demo", "example.com.zone"), "mail\tIN\tA\t192.0.2.25\n@\tIN\tMX\t10 mail\n");
const config = yaml.load(readFileSync(join(ROOT, "edgemanage.example.yaml"), "utf8")) as Record<string, unknown>;
Object.assign(config, {
  testobject: { host: "demo.example.org", port: sim.port, proto: "http", uri: "/edgemanage.object", local: "object.edgemanage", verify: false },
  healthdata_store: "health",
  edgelist_dir: "edges",
  extra_edgelist_dir: null,
  statefile: "state/{dnet}.state",
  lockfile: "edgemanage.lock",
  zonetemplate_dir: "zones",
  named_dir: "named",
  live_list: "state/{dnet}.live",
  canary_files: null,
  commands: null,
  logpath: null,
  edge_count: 3,
  timeout: 2,
  run_deadline: 5,
});
writeFileSync(join(dir, "edgemanage.yaml"), yaml.dump(config));

const run = async (title: string) => {
  console.log(`\n=== ${title}\n$ edgemanage -A demo -c .tmp/demo/edgemanage.yaml --force -v`);
  const r = await runCli(["-A", "demo", "-c", join(dir, "edgemanage.yaml"), "--force", "-v"]);
  process.stdout.write(r.stdout.split("\n").filter((l) => /INFO|WARN|ERROR/.test(l)).join("\n") + "\n" + r.stderr);
  if (r.code !== 0) throw new Error(`edgemanage exited ${r.code}`);
};
await run("run 1: healthy fleet, one edge down");
console.log(`\n--- .tmp/demo/named/example.com.zone\n${readFileSync(join(dir, "named", "example.com.zone"), "utf8")}`);
const live = readFileSync(join(dir, "state", "demo.live"), "utf8").trim().split("\n");
await sim.set(live[0]!, { kind: "status", status: 503 });
await run(`run 2: live edge ${live[0]} now answers HTTP 503`);
console.log(`\n--- .tmp/demo/state/demo.live\n${readFileSync(join(dir, "state", "demo.live"), "utf8")}`);
await sim.close();

// The operator's view of the same state.
for (const args of [["query", "--format", "table"], ["check", "latency"], ["check", "freshness"]]) {
  const conf = args[0] === "check" ? "--config" : "-c";
  console.log(`\n$ edgemanage ${args.join(" ")} -A demo ${conf} .tmp/demo/edgemanage.yaml`);
  const r = await runCli([...args, "-A", "demo", conf, join(dir, "edgemanage.yaml")]);
  process.stdout.write(r.stdout + r.stderr);
}

/**
 * npm run bench:memory: the peak memory of one real run by network size, every edge with a full
 * history (2000 samples a minute apart, 720 hourly means), all edges answering on loopback. These are
 * the figures of README "Memory" and of the default state.max_bytes.
 */
import { statSync, writeFileSync } from "node:fs";
import { DEFAULT_LIMITS } from "../../src/core/history.js";
import { emptyEdge, emptyState } from "../../src/core/state.js";
import { encodeState } from "../../src/state/codec.js";
import { EdgeSim, loopbackAddresses } from "../support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "../support/fixture.js";

const sizes = (process.env.BENCH_SIZES ?? "250,500,1000").split(",").map(Number);
const rows: string[] = [];
for (const n of sizes) {
  const edges = loopbackAddresses(n, 5000);
  const sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
  const fx = new Fixture({ edges, port: sim.port, installed: true });
  fx.writeConfig({ edge_count: 4, timeout: 5, run_deadline: 20 });
  const now = Math.floor(Date.now() / 1000) - 60;
  const column = (count: number, step: number) => Array.from({ length: count }, (_, i) => now - (count - i) * step);
  const state = { ...emptyState(fx.dnet), lastRun: now - 60, lastLive: edges.slice(0, 4) };
  for (const [i, e] of edges.entries()) {
    const t = column(DEFAULT_LIMITS.samples, 60);
    const h = column(DEFAULT_LIMITS.hourly, 3600);
    state.edges[e] = { ...emptyEdge(), state: i < 4 ? "in" : "out", samples: { t, v: t.map((_, j) => 0.05 + (j % 13) / 1000) }, hourly: { t: h, v: h.map(() => 0.06) } };
  }
  writeFileSync(fx.path("state", `${fx.dnet}.state`), `${encodeState(state)}\n`);
  const bytes = statSync(fx.path("state", `${fx.dnet}.state`)).size;
  const r = await fx.run();
  await sim.close();
  if (r.code !== 0) throw new Error(`run of ${n} edges failed: ${r.stderr}`);
  const finished = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { msg: string; maxRssMB?: number; seconds?: number }).find((l) => l.msg === "run finished")!;
  rows.push(`| ${n} | ${(bytes / 1e6).toFixed(1)} MB | ${finished.maxRssMB} MB | ${finished.seconds} s |`);
  fx.cleanup();
}
console.log(`one run, every edge with a full history (node ${process.version})\n\n| edges | state file | peak RSS | run |\n| --- | --- | --- | --- |\n${rows.join("\n")}`);

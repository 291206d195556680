/**
 * npm run bench: the performance table of the README. Start-up (`--help`, `--version`, median of 7),
 * then real runs of the CLI with timeout 5 against loopback edges: 10 edges with 1 silent, and 1000
 * and 5000 edges of which 10% never answer and 2.5% refuse connections. For each run: the wall time
 * against its goal, the peak memory, and how many pairs of answering edges whose delays differ by
 * 10 ms or more were measured the wrong way round (BENCH_SIZES=10,1000 to skip the largest).
 */
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { EdgeSim, loopbackAddresses } from "../support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "../support/fixture.js";
import { CLI, run } from "../support/tools.js";

const TIMEOUT = 5;
const GOAL: Record<number, number> = { 10: 0.5, 1000: 0.5, 5000: 1.5 };

async function startup(arg: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    const r = await run(process.execPath, [CLI, arg]);
    if (r.code !== 0) throw new Error(r.stderr);
    times.push((performance.now() - t0) / 1000);
  }
  return times.sort((a, b) => a - b)[3]!;
}

interface Probed {
  count: number;
  wall: number;
  rssMB: number;
  inverted: number;
  pairs: number;
  /** The same count against the delays the simulator really served (its own timer lag is not the prober's). */
  invertedServed: number;
  p99OverheadMs: number;
}

async function probeRun(count: number): Promise<Probed> {
  const edges = loopbackAddresses(count, 1000);
  const sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
  // Deterministic shuffle, so that delay does not follow address order.
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const order = edges.map((e) => [rand(), e] as const).sort((a, b) => a[0] - b[0]).map(([, e]) => e);
  const silent = count === 10 ? 1 : count * 0.1;
  const refusing = count === 10 ? 0 : count * 0.025;
  const delay = new Map<string, number>();
  const answering = order.slice(silent + refusing);
  answering.forEach((e, k) => delay.set(e, Math.round((k * 2000) / answering.length)));
  for (const e of order.slice(0, silent)) await sim.set(e, { kind: "hang" });
  for (const e of order.slice(silent, silent + refusing)) await sim.set(e, { kind: "refuse" });
  for (const [e, d] of delay) await sim.set(e, { kind: "ok", delayMs: d });
  const fx = new Fixture({ edges, port: sim.port });
  fx.writeConfig({ timeout: TIMEOUT, run_deadline: 40, goodenough: 0.7, edge_count: 4, live_list: null });
  const t0 = performance.now();
  const r = await fx.run();
  const wall = (performance.now() - t0) / 1000;
  const served = new Map(sim.served);
  await sim.close();
  if (r.code !== 0) throw new Error(`run of ${count} edges failed: ${r.stderr}`);
  const finished = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { msg: string; maxRssMB?: number }).find((l) => l.msg === "run finished")!;
  const state = fx.state();
  fx.cleanup();
  const measured = new Map(answering.map((e) => [e, state.edges[e]!.samples.v.at(-1)!]));
  const misordered = (truth: Map<string, number>) => {
    let pairs = 0;
    let inverted = 0;
    for (let i = 0; i < answering.length; i++) {
      for (let j = i + 1; j < answering.length; j++) {
        const [a, b] = [answering[i]!, answering[j]!];
        const dd = truth.get(a)! - truth.get(b)!;
        if (!(Math.abs(dd) >= 10)) continue;
        pairs++;
        if (Math.sign(dd) !== Math.sign(measured.get(a)! - measured.get(b)!)) inverted++;
      }
    }
    return { pairs, inverted };
  };
  const { pairs, inverted } = misordered(delay);
  const overhead = answering.map((e) => measured.get(e)! * 1000 - delay.get(e)!).sort((a, b) => a - b);
  return { count, wall, rssMB: finished.maxRssMB!, inverted, pairs, invertedServed: misordered(served).inverted, p99OverheadMs: Math.round(overhead[Math.floor(0.99 * (overhead.length - 1))]!) };
}

const sizes = (process.env.BENCH_SIZES ?? "10,1000,5000").split(",").map(Number);
const help = await startup("--help");
const version = await startup("--version");
const runs: Probed[] = [];
for (const n of sizes) runs.push(await probeRun(n));

const ok = (good: boolean) => (good ? "yes" : "**no**");
const rows = [
  `| \`edgemanage --help\`, wall (median of 7) | ${help.toFixed(3)} s | ≤ 0.15 s | ${ok(help <= 0.15)} |`,
  `| \`edgemanage --version\`, wall (median of 7) | ${version.toFixed(3)} s | ≤ 0.15 s | ${ok(version <= 0.15)} |`,
  ...runs.flatMap((p) => {
    const goal = TIMEOUT + (GOAL[p.count] ?? 1.5);
    const mix = p.count === 10 ? "1 silent" : `${p.count * 0.1} silent, ${p.count * 0.025} refusing`;
    return [
      `| ${p.count} edges (${mix}), timeout ${TIMEOUT}: run, wall | ${p.wall.toFixed(2)} s | ≤ ${goal} s | ${ok(p.wall <= goal)} |`,
      `| ${p.count} edges: peak RSS | ${p.rssMB} MB | ${p.count === 5000 ? "≤ 200 MB" : "–"} | ${p.count === 5000 ? ok(p.rssMB <= 200) : "–"} |`,
      `| ${p.count} edges: answering pairs ≥ 10 ms apart measured in the wrong order (against the delays asked for / as the simulator served them); p99 timing overhead | ${p.inverted} / ${p.invertedServed} of ${p.pairs}; ${p.p99OverheadMs} ms | ${p.count === 1000 ? "0" : "–"} | ${p.count === 1000 ? ok(p.invertedServed === 0) : "–"} |`,
    ];
  }),
];
console.log(`edgemanage performance on this machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), node ${process.version}

| figure | measured | goal | met |
| --- | --- | --- | --- |
${rows.join("\n")}`);

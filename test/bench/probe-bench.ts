/**
 * npm run bench: the performance table of the README. Start-up (`--help`, `--version`, median of 7),
 * then real runs of the CLI with timeout 5 against loopback edges: 10 edges with 1 silent, and 1000
 * and 5000 edges of which 10% never answer and 2.5% refuse connections, each size run BENCH_RUNS
 * times (3). For each size: the median wall time against its goal (and the range), that of the next
 * run on the same edges (which starts the edges the first judged failing first), the highest peak
 * memory, and how many pairs of answering edges whose delays differ by 10 ms or more were measured the
 * wrong way round (BENCH_SIZES=10,1000 to skip the largest).
 */
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { loopbackAddresses } from "../support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "../support/fixture.js";
import { CLI, NODE_FLAGS, run } from "../support/tools.js";
import { type LeanBehaviour, LeanEdges } from "./lean-edges.js";

const TIMEOUT = 5;
const GOAL: Record<number, number> = { 10: 0.5, 1000: 0.5, 5000: 1.5 };
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

async function startup(arg: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    const r = await run(process.execPath, [...NODE_FLAGS, CLI, arg]);
    if (r.code !== 0) throw new Error(r.stderr);
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Probed {
  wall: number;
  rssMB: number;
  inverted: number;
  pairs: number;
  /** The same count against the delays the edges really served (their own timer lag is not the prober's). */
  invertedServed: number;
  p99OverheadMs: number;
  /** The wall time of a second run on the same fixture: the silent edges, judged failing by the first, start first. */
  nextWall: number;
}

/** Pairs of answering edges ≥ 10 ms apart in `truth` that `measured` puts the other way round. */
function misordered(answering: readonly string[], truth: ReadonlyMap<string, number>, measured: ReadonlyMap<string, number>): { pairs: number; inverted: number } {
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
}

async function probeRun(count: number): Promise<Probed> {
  const edges = loopbackAddresses(count, 1000);
  // Deterministic shuffle, so that delay does not follow address (or start) order.
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const order = edges.map((e) => [rand(), e] as const).sort((a, b) => a[0] - b[0]).map(([, e]) => e);
  const silent = count === 10 ? 1 : count * 0.1;
  const refusing = count === 10 ? 0 : count * 0.025;
  const answering = order.slice(silent + refusing);
  const delay = new Map(answering.map((e, k) => [e, Math.round((k * 2000) / answering.length)]));
  const behaviours = new Map<string, LeanBehaviour>([
    ...order.slice(0, silent).map((e) => [e, { kind: "hang" }] as const),
    ...order.slice(silent, silent + refusing).map((e) => [e, { kind: "refuse" }] as const),
    ...[...delay].map(([e, d]) => [e, { kind: "ok", delayMs: d }] as const),
  ]);
  const sim = await LeanEdges.start(behaviours, TEST_OBJECT);
  const fx = new Fixture({ edges, port: sim.port, installed: true });
  fx.writeConfig({ timeout: TIMEOUT, run_deadline: 40, goodenough: 0.7, edge_count: 4, live_list: null });
  const t0 = performance.now();
  const r = await fx.run();
  const wall = (performance.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`run of ${count} edges failed: ${r.stderr}`);
  const state = fx.state();
  const served = await sim.served();
  const t1 = performance.now();
  const next = await fx.run();
  const nextWall = (performance.now() - t1) / 1000;
  await sim.close();
  if (next.code !== 0) throw new Error(`second run of ${count} edges failed: ${next.stderr}`);
  const finished = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { msg: string; maxRssMB?: number }).find((l) => l.msg === "run finished")!;
  fx.cleanup();
  const measured = new Map(answering.map((e) => [e, state.edges[e]!.samples.v.at(-1)! * 1000]));
  const { pairs, inverted } = misordered(answering, delay, measured);
  const overhead = answering.map((e) => measured.get(e)! - delay.get(e)!).sort((a, b) => a - b);
  return { wall, rssMB: finished.maxRssMB!, inverted, pairs, invertedServed: misordered(answering, served, measured).inverted, p99OverheadMs: Math.round(overhead[Math.floor(0.99 * (overhead.length - 1))]!), nextWall };
}

const sizes = (process.env.BENCH_SIZES ?? "10,1000,5000").split(",").map(Number);
const help = await startup("--help");
const version = await startup("--version");
const bySize: [number, Probed[]][] = [];
for (const n of sizes) {
  const runs: Probed[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await probeRun(n));
  bySize.push([n, runs]);
}

const ok = (good: boolean) => (good ? "yes" : "**no**");
const rows = [
  `| \`edgemanage --help\`, wall (median of 7) | ${help.toFixed(3)} s | ≤ 0.15 s | ${ok(help <= 0.15)} |`,
  `| \`edgemanage --version\`, wall (median of 7) | ${version.toFixed(3)} s | ≤ 0.15 s | ${ok(version <= 0.15)} |`,
  ...bySize.flatMap(([n, runs]) => {
    const goal = TIMEOUT + (GOAL[n] ?? 1.5);
    const mix = n === 10 ? "1 silent" : `${n * 0.1} silent, ${n * 0.025} refusing`;
    const wall = median(runs.map((p) => p.wall));
    const rss = Math.max(...runs.map((p) => p.rssMB));
    const inv = median(runs.map((p) => p.inverted));
    const invServed = median(runs.map((p) => p.invertedServed));
    const range = (xs: number[], digits = 0) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
    return [
      `| ${n} edges (${mix}), timeout ${TIMEOUT}: run, wall (median of ${runs.length}; range) | ${wall.toFixed(2)} s (${range(runs.map((p) => p.wall), 2)}) | ≤ ${goal} s | ${ok(wall <= goal)} |`,
      `| ${n} edges: the next run, the silent edges (judged failing) started first: wall (median of ${runs.length}; range) | ${median(runs.map((p) => p.nextWall)).toFixed(2)} s (${range(runs.map((p) => p.nextWall), 2)}) | – | – |`,
      `| ${n} edges: peak RSS (highest of ${runs.length}) | ${rss} MB | ${n === 5000 ? "≤ 200 MB" : "–"} | ${n === 5000 ? ok(rss <= 200) : "–"} |`,
      `| ${n} edges: answering pairs ≥ 10 ms apart measured in the wrong order, median (range) against the delays asked for / as the edges served them, of ${runs[0]!.pairs}; p99 timing overhead | ${inv} (${range(runs.map((p) => p.inverted))}) / ${invServed} (${range(runs.map((p) => p.invertedServed))}); ${median(runs.map((p) => p.p99OverheadMs))} ms | ${n === 1000 ? "0" : "–"} | ${n === 1000 ? ok(invServed === 0) : "–"} |`,
    ];
  }),
];
console.log(`edgemanage performance on this machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), node ${process.version}

| figure | measured | goal | met |
| --- | --- | --- | --- |
${rows.join("\n")}`);

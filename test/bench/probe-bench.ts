/**
 * npm run bench: one real run of the CLI against 1000 loopback edges, of which 10% never answer and
 * 2.5% refuse connections, with default timeout and run_deadline. Prints the wall time, the peak
 * memory of the run, and how well the measured fetch times rank the edges' known delays.
 */
import { readFileSync } from "node:fs";
import { EdgeSim, loopbackAddresses } from "../support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "../support/fixture.js";

const COUNT = Number(process.env.BENCH_EDGES ?? 1000);
const edges = loopbackAddresses(COUNT, 1000);
const sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });

/** Deterministic shuffle so that delay does not follow address order. */
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const order = edges.map((e) => [rand(), e] as const).sort((a, b) => a[0] - b[0]).map(([, e]) => e);
const hang = new Set(order.slice(0, COUNT * 0.1));
const refuse = new Set(order.slice(COUNT * 0.1, COUNT * 0.125));
const delay = new Map<string, number>();
let k = 0;
for (const e of order.slice(COUNT * 0.125)) delay.set(e, Math.round((k++ * 2000) / (COUNT * 0.875))); // 0 .. 2000 ms, distinct
for (const e of hang) await sim.set(e, { kind: "hang" });
for (const e of refuse) await sim.set(e, { kind: "refuse" });
for (const [e, d] of delay) await sim.set(e, { kind: "ok", delayMs: d });

const fx = new Fixture({ edges, port: sim.port });
// Defaults for everything the benchmark is about: timeout, run_deadline, workers.
fx.writeConfig({ timeout: undefined, run_deadline: undefined, goodenough: 0.7, edge_count: 4 });
const t0 = performance.now();
const r = await fx.run();
const wall = (performance.now() - t0) / 1000;
await sim.close();
if (r.code !== 0) throw new Error(`run failed: ${r.stderr}`);
const finished = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { msg: string; maxRssMB?: number; seconds?: number }).find((l) => l.msg === "run finished")!;
const state = fx.state();

// Spearman rank correlation of measured time against known delay, over the answering edges.
const answered = [...delay.keys()];
const measured = new Map(answered.map((e) => [e, state.edges[e]!.samples.v.at(-1)!]));
const ranks = (xs: string[], f: (e: string) => number) => new Map([...xs].sort((a, b) => f(a) - f(b)).map((e, i) => [e, i]));
const rk = ranks(answered, (e) => delay.get(e)!);
const rm = ranks(answered, (e) => measured.get(e)!);
const n = answered.length;
const d2 = answered.reduce((s, e) => s + (rk.get(e)! - rm.get(e)!) ** 2, 0);
const spearman = 1 - (6 * d2) / (n * (n * n - 1));
// Pairs whose delays differ by at least 10 ms that are ordered the wrong way round.
let pairs = 0;
let inverted = 0;
for (let i = 0; i < n; i++) {
  for (let j = i + 1; j < n; j++) {
    const [a, b] = [answered[i]!, answered[j]!];
    const dd = delay.get(a)! - delay.get(b)!;
    if (Math.abs(dd) < 10) continue;
    pairs++;
    if (Math.sign(dd) !== Math.sign(measured.get(a)! - measured.get(b)!)) inverted++;
  }
}
const errors = answered.map((e) => measured.get(e)! * 1000 - delay.get(e)!).sort((a, b) => a - b);
const q = (p: number) => errors[Math.floor(p * (errors.length - 1))]!.toFixed(0);
const wrongFails = answered.filter((e) => measured.get(e)! >= 10).length;
console.log(
  JSON.stringify(
    {
      edges: COUNT,
      neverAnswer: hang.size,
      refuse: refuse.size,
      wallSeconds: Number(wall.toFixed(2)),
      runSeconds: finished.seconds,
      target: "<= timeout (10 s) + 2 s",
      peakRssMB: finished.maxRssMB,
      spearman: Number(spearman.toFixed(5)),
      invertedPairsOver10ms: `${inverted}/${pairs}`,
      overheadMs: { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: q(1) },
      answeringEdgesRecordedAsFailed: wrongFails,
      stateBytesJson: readFileSync(fx.path("state", "testnet.state")).length,
    },
    null,
    2,
  ),
);
fx.cleanup();

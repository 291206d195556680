import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, test } from "node:test";
import { ROOT } from "./support/tools.js";

/**
 * The floors of src/: a module imports only from its own floor or lower ones. The domain (core) knows
 * no adapter; adapters know no run; the run knows no command line.
 */
const FLOORS: Record<string, number> = { util: 0, core: 1, config: 2, dns: 3, probe: 3, state: 3, vantage: 3, zone: 3, metrics: 4, ops: 4, run: 5, chart: 6, cli: 6, build: 7 };

const SRC = join(ROOT, "src");
const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
const imports = (file: string): string[] =>
  [...readFileSync(file, "utf8").matchAll(/(?:^import|^export)[^;]*?from "(\.[^"]+)"|import\("(\.[^"]+)"\)/gm)].map((m) => normalize(join(dirname(file), (m[1] ?? m[2])!.replace(/\.js$/, ".ts"))));
const floorOf = (file: string) => FLOORS[relative(SRC, file).split("/")[0]!];

describe("architecture", () => {
  const graph = new Map(files(SRC).map((f) => [f, imports(f)]));

  test("every folder of src/ has a floor", () => {
    for (const f of graph.keys()) assert.notEqual(floorOf(f), undefined, relative(ROOT, f));
  });

  test("no module imports from a higher floor", () => {
    const up = [...graph].flatMap(([f, deps]) => deps.filter((d) => floorOf(d)! > floorOf(f)!).map((d) => `${relative(SRC, f)} -> ${relative(SRC, d)}`));
    assert.deepEqual(up, []);
  });

  test("no import cycles", () => {
    const state = new Map<string, "visiting" | "done">();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]) => {
      if (state.get(f) === "done") return;
      if (state.get(f) === "visiting") return void cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(SRC, p)).join(" -> "));
      state.set(f, "visiting");
      for (const d of graph.get(f) ?? []) visit(d, [...path, f]);
      state.set(f, "done");
    };
    for (const f of graph.keys()) visit(f, []);
    assert.deepEqual(cycles, []);
  });

  test("runOnce is a short pipeline (under 60 lines), and the dry run and the vantage mode are each chosen in one place", () => {
    const run = readFileSync(join(SRC, "run/run.ts"), "utf8");
    const body = run.slice(run.indexOf("export async function runOnce"));
    const lines = body.slice(0, body.indexOf("\n}\n")).split("\n").length;
    assert.ok(lines < 60, `runOnce has ${lines} lines`);
    const inRun = files(join(SRC, "run")).map((f) => readFileSync(f, "utf8"));
    const count = (re: RegExp) => inRun.reduce((n, t) => n + (t.match(re)?.length ?? 0), 0);
    assert.equal(count(/\.dryRun\b/g), 1, "opts.dryRun is read once: sessionFor");
    assert.equal(count(/config\.vantage\b/g), 1, "config.vantage is read once: modeFor");
  });
});

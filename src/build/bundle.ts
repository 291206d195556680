/**
 * `npm run build`'s second step, and the image's build: the CLI bundled with its dependencies from the
 * TypeScript sources into one ES module plus the chunks it loads lazily (dist/bundle/cli), which is
 * what the package's bin, the image and the tests run. One file instead of some 600 modules to resolve
 * and link takes about a third off every run's start-up (the AWS SDK alone is 400 modules), and the
 * image needs no node_modules. Run from the package's root (npm does; so does the Dockerfile).
 *
 * The bundle sits as deep as src/cli, so the paths the code finds from its own URL (package.json,
 * templates/) are the same in both.
 */
import { readFileSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { type Plugin, build } from "esbuild";

const ROOT = process.cwd();
if ((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name?: string }).name !== "edgemanage") throw new Error(`bundle: run from the package's root (npm run build), not ${ROOT}`);
const OUT = join(ROOT, "dist/bundle/cli");
const BUILTIN = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * node's own modules through require(), not import: an `import … from "node:fs"` makes node build an
 * ES namespace of the module, reading every export once, and some exports are getters that load more
 * (fs's streams, http's bundled undici): 20 to 60 ms of every start-up for nothing used. For a module
 * that is an object, the wrapper hands on an object of getters (and setters) instead: the bundle's
 * interop asks every export for its descriptor, and for node's native lazy exports (util.TextDecoder,
 * …) that loads them (util alone pulled in worker_threads). A module that is a function (events,
 * stream, assert) is handed on as it is, for `new` and `instanceof`. Each importing file gets a wrapper
 * of its own (the path carries the importer): one shared wrapper per module was a chunk of its own, a
 * dozen tiny files to load for a run.
 */
const builtinsByRequire: Plugin = {
  name: "builtins-by-require",
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => (BUILTIN.has(args.path) && args.kind === "import-statement" ? { path: `${args.path}|${args.importer}`, namespace: "builtin" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => ({
      contents: `const m = require(${JSON.stringify(args.path.split("|")[0])});
if (typeof m === "function") module.exports = m;
else {
  const o = {};
  for (const k of Object.getOwnPropertyNames(m)) Object.defineProperty(o, k, { get: () => m[k], set: (v) => { m[k] = v; }, enumerable: true });
  module.exports = o;
}`,
      loader: "js",
    }));
  },
};

/**
 * pino's transports (log shipping in worker threads) are never used here, yet their module and pino's
 * one question to worker_threads (is this the main thread? always, in this CLI) load node's
 * worker_threads on every start, about 5 ms: in the bundle both are stand-ins. So is sonic-boom where
 * pino loads it, for destinations of its own that it makes only when given none (the JSON lines go
 * through LineWriter): with node's assert, a few milliseconds of every start. pino-pretty (`-v`) keeps
 * the real one.
 */
const STAND_INS: Record<string, string> = {
  "thread-stream": `module.exports = function ThreadStream() { throw new Error("pino transports are not part of the edgemanage bundle"); };`,
  "worker_threads": "module.exports = { isMainThread: true };",
  "sonic-boom": `module.exports = class SonicBoom { constructor() { throw new Error("pino's own destinations are not part of the edgemanage bundle (its logs go through LineWriter)"); } };`,
};
const noPinoTransports: Plugin = {
  name: "no-pino-transports",
  setup(b) {
    b.onResolve({ filter: /^thread-stream$/ }, () => ({ path: "thread-stream", namespace: "stand-in" }));
    b.onResolve({ filter: /^(worker_threads|sonic-boom)$/ }, (args) => (/[/\\]pino[/\\]lib[/\\]tools\.js$/.test(args.importer) ? { path: args.path, namespace: "stand-in" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "stand-in" }, (args) => ({ contents: STAND_INS[args.path]!, loader: "js" }));
  },
};

// Chunks are named by their hash: those of an earlier build would stay beside the new ones.
rmSync(OUT, { recursive: true, force: true });
const result = await build({
  entryPoints: [join(ROOT, "src/cli/main.ts")],
  tsconfig: join(ROOT, "tsconfig.json"),
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  // Packages' ES module builds first: the AWS SDK's CommonJS build is one module per package that
  // builds every S3 command and model on load, its ES build lets the bundle keep only what is used.
  mainFields: ["module", "main"],
  conditions: ["module"],
  target: "node22",
  // CommonJS dependencies call require() for node's own modules; an ES module has none of its own.
  banner: { js: 'import { createRequire as __edgemanageRequire } from "node:module"; const require = __edgemanageRequire(import.meta.url);' },
  chunkNames: "chunk-[hash]",
  legalComments: "none",
  metafile: true,
  plugins: [builtinsByRequire, noPinoTransports],
  logLevel: "warning",
});

// Anything left to load at run time but node's own modules would need a node_modules beside the bundle.
const outside = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external && !BUILTIN.has(i.path)).map((i) => i.path));
if (outside.length) throw new Error(`bundle: these imports were left outside the bundle: ${[...new Set(outside)].join(", ")}`);
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`bundle: ${OUT} (${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1e6).toFixed(1)} MB)`);

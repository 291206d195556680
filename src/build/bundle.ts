/**
 * The second step of `npm run build`: the CLI bundled with its dependencies into one ES module plus
 * the chunks it loads lazily (dist/bundle/cli), which is what the package's bin, the image and the
 * tests run. One file instead of some 600 modules to resolve and link takes about a third off every
 * run's start-up (the AWS SDK alone is 400 modules), and the image needs no node_modules.
 *
 * The bundle sits at the same depth as dist/src/cli, so the paths the code finds from its own URL
 * (package.json, templates/) are the same in both.
 */
import { rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ENTRY = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const OUT = fileURLToPath(new URL("../../bundle/cli", import.meta.url));
const BUILTIN = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

// Chunks are named by their hash: those of an earlier build would stay beside the new ones.
rmSync(OUT, { recursive: true, force: true });
const result = await build({
  entryPoints: [ENTRY],
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22",
  // CommonJS dependencies call require() for node's own modules; an ES module has none of its own.
  banner: { js: 'import { createRequire as __edgemanageRequire } from "node:module"; const require = __edgemanageRequire(import.meta.url);' },
  chunkNames: "chunk-[hash]",
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});

// Anything left to load at run time but node's own modules would need a node_modules beside the bundle.
const outside = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external && !BUILTIN.has(i.path)).map((i) => i.path));
if (outside.length) throw new Error(`bundle: these imports were left outside the bundle: ${[...new Set(outside)].join(", ")}`);
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`bundle: ${OUT} (${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1e6).toFixed(1)} MB)`);

/**
 * What `npm test` builds before it runs the suite: every module of src/ and test/ to dist/ as tsc would
 * lay them out, by esbuild, one file at a time, in about a second instead of tsc's ten. Type checking
 * is then one of the tests (test/typecheck.test.ts runs `tsc --noEmit`), running beside the others
 * instead of before all of them. `npm run build` still compiles with tsc. Run from the package's root
 * with Node.js 24 (it runs this file as it is).
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { build } from "esbuild";

// Each build script stands alone: node runs them as TypeScript, and an import between them would name a
// .ts file that the per-file transpile here leaves unrenamed in dist/.
const ROOT = process.cwd();
if ((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name?: string }).name !== "edgemanage") throw new Error(`transpile: run from the package's root (npm test), not ${ROOT}`);

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

const entryPoints = [...tsFiles(join(ROOT, "src")), ...tsFiles(join(ROOT, "test"))];
await build({
  entryPoints,
  outbase: ROOT,
  outdir: join(ROOT, "dist"),
  tsconfig: join(ROOT, "tsconfig.json"),
  format: "esm",
  platform: "node",
  target: "node22",
  sourcemap: "linked",
  logLevel: "warning",
});
console.log(`transpile: ${entryPoints.length} modules of ${relative(ROOT, join(ROOT, "src"))}/ and test/ to dist/`);

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT, run } from "./support/tools.js";

// npm test builds dist/ with esbuild, which strips types without reading them: the types are checked
// here, beside the other tests (npm run build runs the same check before it emits).
test("the sources and tests type-check (tsc --noEmit, strict)", { timeout: 180_000 }, async () => {
  // One collector thread: beside the other test files on two cores, V8's parallel scavenges only add
  // CPU (12.5 s instead of 14.5 s of it for this check, and a second less of wall time).
  const r = await run(process.execPath, ["--single-threaded-gc", join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.json"), "--noEmit"], { timeoutMs: 180_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

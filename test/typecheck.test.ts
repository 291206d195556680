import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT, run } from "./support/tools.js";

// npm test builds dist/ with esbuild, which strips types without reading them: the types are checked
// here, beside the other tests (npm run build runs the same check before it emits).
test("the sources and tests type-check (tsc --noEmit, strict)", { timeout: 180_000 }, async () => {
  const r = await run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.json"), "--noEmit"], { timeoutMs: 180_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

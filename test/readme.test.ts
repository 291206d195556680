import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { HELM } from "./support/k8s.js";
import { CLI, ROOT, run } from "./support/tools.js";

/** The fenced ```sh blocks of the README marked `runnable`, in order. */
export function runnableBlocks(readme: string): string[] {
  return [...readme.matchAll(/^```sh runnable\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/**
 * The README's promises: its first screen (title, what it is, the two commands), and every block
 * marked runnable, run as an operator would type it after `npm run demo`, with the program and the
 * classic tools on PATH.
 */
describe("the README", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  let bin = "";
  before(async () => {
    bin = mkdtempSync(join(tmpdir(), "em-readme-bin-"));
    // As npm makes a package's bin entries: executable, linked under each name.
    chmodSync(CLI, 0o755);
    for (const t of ["edgemanage", "edge_manage", "edge_query", "edge_conf", "check_edgemanage_integrity", "check_edgemanage_latency", "check_edgemanage_rotation"]) symlinkSync(CLI, join(bin, t));
    // The demo's state and configuration, as `npm run demo` leaves them in .tmp/demo.
    const demo = await run(process.execPath, [join(ROOT, "dist/test/demo/demo.js")], { timeoutMs: 120_000 });
    assert.equal(demo.code, 0, demo.stdout + demo.stderr);
  });
  after(() => rmSync(bin, { recursive: true, force: true }));

  test("the first screen: the title, what it is in one paragraph, then the two commands", () => {
    const screen = readme.split("\n").slice(0, 14).join("\n");
    assert.match(screen, /^# edgemanage\n\n[^\n#`][^]*?\n\n```sh\nnpm run demo .*\nnpm test .*\n```/);
  });

  const blocks = runnableBlocks(readme);
  test("has runnable blocks", () => assert.ok(blocks.length >= 2, `${blocks.length}`));
  for (const [i, block] of blocks.entries()) {
    test(`runnable block ${i + 1}: ${block.split("\n")[0]}`, async () => {
      const env = { ...process.env, PATH: [bin, dirname(HELM), dirname(process.execPath), process.env.PATH].join(":"), HELM_CACHE_HOME: join(ROOT, ".tmp/helm-cache"), HELM_CONFIG_HOME: join(ROOT, ".tmp/helm-config") };
      const r = await run("bash", ["-eo", "pipefail", "-c", block], { env, cwd: ROOT, timeoutMs: 60_000 });
      assert.equal(r.code, 0, `${block}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
      assert.ok(r.stdout.trim().length > 0, "the block prints something");
      console.log(r.stdout.trim().replace(/^/gm, "# "));
    });
  }
});

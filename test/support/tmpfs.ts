import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./tools.js";

/**
 * A small tmpfs of its own (needs root, as CI runs): a real file system that fills up, for the
 * faults a full disk causes. Fails, never skips, when it cannot be mounted.
 */
export async function mountTmpfs(kib: number): Promise<{ dir: string; unmount: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "em-tmpfs-"));
  const r = await run("mount", ["-t", "tmpfs", "-o", `size=${kib}k,mode=0755`, "tmpfs", dir]);
  if (r.code !== 0) throw new Error(`mount -t tmpfs failed (the tests run as root): ${r.stderr}`);
  return {
    dir,
    unmount: async () => {
      await run("umount", [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

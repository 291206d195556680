import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { reserveDescriptors } from "../src/probe/descriptors.js";

/** The size of this process's descriptor table, as the kernel reports it. */
const tableSize = () => Number(/^FDSize:\s+(\d+)/m.exec(readFileSync("/proc/self/status", "utf8"))![1]);
const openCount = () => readdirSync("/proc/self/fd").length;

describe("descriptors reserved before the probes start (reserveDescriptors)", () => {
  test("the table is grown to hold them all, and nothing is left open", () => {
    const want = tableSize() + 700;
    const before = openCount();
    reserveDescriptors(want);
    assert.ok(tableSize() >= want, `table of ${tableSize()} descriptors, ${want} wanted`);
    assert.equal(openCount(), before);
  });

  test("at the process's limit (EMFILE) it stops there, closes what it opened and does not throw", () => {
    const module = new URL("../src/probe/descriptors.js", import.meta.url).pathname;
    // The descriptors it opens are /dev/null's: as many open after as before.
    const script = `const { reserveDescriptors } = await import(${JSON.stringify(module)});
      const { readdirSync, readlinkSync } = await import("node:fs");
      const nulls = () => readdirSync("/proc/self/fd").filter((fd) => { try { return readlinkSync("/proc/self/fd/" + fd) === "/dev/null"; } catch { return false; } });
      const before = nulls();
      reserveDescriptors(5000);
      const after = nulls();
      // Only now: node's stdout on a pipe opens a descriptor of /dev/null of its own.
      process.stdout.write(JSON.stringify([before, after]));`;
    const r = spawnSync("bash", ["-c", 'ulimit -n 256 && exec "$0" --input-type=module -e "$1"', process.execPath, script], { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    const [before, after] = JSON.parse(r.stdout) as string[][];
    assert.deepEqual(after, before);
  });
});

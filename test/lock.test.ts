import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { acquireLock, isStale, parseHolder } from "../src/run/lock.js";
import { OperatorError } from "../src/util/errors.js";
import { mountTmpfs } from "./support/tmpfs.js";

const CONTENDER = fileURLToPath(new URL("./support/lock-contender.js", import.meta.url));
const HOST = hostname();
const deadPid = () => spawnSync("true").pid!;

describe("the lock: who is stale", () => {
  const alive = (pid: number) => pid === 1;
  const cases: [string, string, number, boolean][] = [
    ["a live run of this host holds it, however old", `1 ${HOST} 100`, 9999, false],
    ["a dead run of this host left it", `4242 ${HOST} 100`, 0, true],
    ["another host's run, recent", "1 elsewhere 100", 10, false],
    ["another host's run, older than any run lasts", "1 elsewhere 100", 101, true],
    ["an empty lock, recent (an older version may be writing it)", "", 10, false],
    ["an empty lock older than any run lasts", "", 101, true],
    ["garbage, old", "not a lock\n", 101, true],
  ];
  for (const [name, text, age, stale] of cases) test(name, () => assert.equal(isStale(parseHolder(text), age, 100, HOST, alive), stale));
});

describe("the lock on disk", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "em-lock-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("it holds pid, host and start, is refused to a second taker, and is released", () => {
    const file = join(dir, "a.lock");
    const release = acquireLock(file, 100);
    assert.match(readFileSync(file, "utf8"), new RegExp(`^${process.pid} ${HOST} \\d+\\n$`));
    assert.throws(() => acquireLock(file, 100), (e: Error) => e instanceof OperatorError && e.message.includes(`another edgemanage run (pid ${process.pid} on ${HOST}`));
    release();
    assert.equal(existsSync(file), false);
    assert.deepEqual(readdirSync(dir), [], "no temporary file is left");
  });

  test("an empty lock (a write that failed) is refused while young and taken over once older than a run can last", () => {
    const file = join(dir, "empty.lock");
    writeFileSync(file, "");
    assert.throws(() => acquireLock(file, 100), /an unreadable lock \d+s old/);
    const old = Date.now() / 1000 - 3600;
    utimesSync(file, old, old);
    const release = acquireLock(file, 100);
    assert.match(readFileSync(file, "utf8"), new RegExp(`^${process.pid} `));
    release();
  });

  test("a lock that cannot be written (full disk) is never left behind, empty or not", async () => {
    const mnt = await mountTmpfs(16);
    try {
      writeFileSync(join(mnt.dir, "filler"), Buffer.alloc(16 * 1024));
      const file = join(mnt.dir, "full.lock");
      assert.throws(() => acquireLock(file, 100), (e: Error) => e instanceof OperatorError && e.message.startsWith(`${file}: cannot create the lock file (ENOSPC`));
      assert.deepEqual(readdirSync(mnt.dir), ["filler"]);
    } finally {
      await mnt.unmount();
    }
  });

  test("12 processes race for a lock 100 times (stale by a dead pid, stale and empty, free, held): never two holders", { timeout: 90_000 }, async () => {
    const race = mkdtempSync(join(tmpdir(), "em-lock-race-"));
    const [contenders, rounds] = [12, 100];
    const kinds = ["dead", "empty", "free", "held"] as const;
    for (let r = 0; r < rounds; r++) {
      const file = join(race, `lock-${r}`);
      const kind = kinds[r % kinds.length];
      if (kind === "dead") writeFileSync(file, `${deadPid()} ${HOST} ${Math.floor(Date.now() / 1000)}\n`);
      if (kind === "empty") {
        writeFileSync(file, "");
        utimesSync(file, 1, 1);
      }
      if (kind === "held") writeFileSync(file, `${process.pid} ${HOST} ${Math.floor(Date.now() / 1000)}\n`);
    }
    const children = Array.from({ length: contenders }, () => spawn(process.execPath, [CONTENDER, race, String(contenders), String(rounds), "100"], { stdio: ["ignore", "pipe", "pipe"] }));
    const outs = await Promise.all(
      children.map(
        (c) =>
          new Promise<string>((resolve) => {
            let out = "";
            c.stdout!.on("data", (d) => (out += d));
            c.stderr!.on("data", (d) => (out += d));
            c.on("close", (code) => resolve(`${code} ${out.trim()}`));
          }),
      ),
    );
    assert.ok(outs.every((o) => /^0 \d+$/.test(o)), outs.join(" | "));
    for (let r = 0; r < rounds; r++) {
      const holders = existsSync(join(race, `holders-${r}`)) ? readFileSync(join(race, `holders-${r}`), "utf8").trim().split("\n") : [];
      assert.equal(holders.length, kinds[r % kinds.length] === "held" ? 0 : 1, `round ${r} (${kinds[r % kinds.length]}): holders ${holders.join(" ")}`);
    }
    assert.deepEqual(readdirSync(race).filter((n) => n.endsWith(".tmp") || n.endsWith(".takeover")), [], "no temporary file or takeover gate is left");
    rmSync(race, { recursive: true, force: true });
  });
});

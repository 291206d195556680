import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { LineWriter } from "../src/util/log-writer.js";
import { run } from "./support/tools.js";

const finished = (w: LineWriter) => new Promise<void>((r) => w.once("finish", () => r()));
const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `{"n":${i},"tag":"${tag}","msg":"line ${i} ${"x".repeat(i % 97)}"}\n`);

describe("the JSON log destination (LineWriter)", () => {
  const dir = mkdtempSync(join(tmpdir(), "log-writer-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("a burst of 20000 lines reaches the file whole and in order; end() finishes after the last", async () => {
    const file = join(dir, "burst.log");
    const fd = openSync(file, "w");
    const w = new LineWriter(fd);
    const all = lines(20_000, "burst");
    for (const l of all) assert.equal(w.write(l), true);
    const done = finished(w);
    w.end();
    await done;
    closeSync(fd);
    assert.equal(readFileSync(file, "utf8"), all.join(""));
  });

  test("a full non-blocking pipe (EAGAIN) is written again until a slow reader has every line", async () => {
    const fifo = join(dir, "slow.fifo");
    execFileSync("mkfifo", ["--", fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const w = new LineWriter(fd);
    // About 1.5 MB: many times what a pipe holds (64 KiB).
    const all = lines(20_000, "fifo");
    for (const l of all) w.write(l);
    const done = finished(w);
    w.end();
    const got: Buffer[] = [];
    const buf = Buffer.alloc(16 * 1024);
    let ended = false;
    void done.then(() => (ended = true));
    const deadline = Date.now() + 20_000;
    for (let idle = 0; idle < 200 && Date.now() < deadline; ) {
      let n = 0;
      try {
        n = readSync(reader, buf);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
      }
      if (n > 0) got.push(Buffer.from(buf.subarray(0, n)));
      else if (ended) idle++;
      // A slow reader: a pause after every read.
      await new Promise((r) => setTimeout(r, 1));
    }
    await done;
    closeSync(fd);
    closeSync(reader);
    assert.equal(Buffer.concat(got).toString("utf8"), all.join(""));
  });

  test("a reader that is gone (EPIPE): lines are dropped, the run goes on, end() still finishes", async () => {
    const fifo = join(dir, "gone.fifo");
    execFileSync("mkfifo", ["--", fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    closeSync(reader);
    const w = new LineWriter(fd);
    for (const l of lines(1000, "gone")) assert.equal(w.write(l), true);
    const done = finished(w);
    w.end();
    await done;
    // Lines after the end are taken and dropped: a late log line never throws.
    assert.equal(w.write("late\n"), true);
    closeSync(fd);
  });
});

describe("log lines made ahead (holdLines)", () => {
  // A child process with the run's own logger on its stdout: lines made ahead, lines logged meanwhile.
  const script = `
    const { makeLogger, holdLines } = await import(process.argv[1]);
    const { logsWritten } = await import(process.argv[2]);
    const log = await makeLogger(process.argv[3] === "-v", 1);
    log.info("before");
    const made = Date.now();
    const held = holdLines(log, () => { log.info({ n: 1 }, "held one"); log.info({ n: 2 }, "held two"); });
    holdLines(log, () => log.info("never written"));
    log.info("between");
    await new Promise((r) => setTimeout(r, 40));
    held.write();
    log.info("after");
    await logsWritten(1000);
    process.stderr.write(String(made));`;
  const logModule = fileURLToPath(new URL("../src/util/log.js", import.meta.url));
  const flushModule = fileURLToPath(new URL("../src/util/log-flush.js", import.meta.url));
  const child = (verbose: boolean) => run(process.execPath, ["--input-type=module", "-e", script, logModule, flushModule, ...(verbose ? ["-v"] : [])]);

  test("JSON lines: written where write() is called, stamped with that time; lines never written are dropped", async () => {
    const r = await child(false);
    assert.equal(r.code, 0, r.stderr);
    const made = Number(r.stderr);
    const raw = r.stdout.trim().split("\n");
    for (const l of raw) assert.match(l, /^\{"level":30,"time":\d+,"app":"edgemanage",/);
    const got = raw.map((l) => JSON.parse(l) as { msg: string; time: number; n?: number });
    assert.deepEqual(got.map((l) => l.msg), ["before", "between", "held one", "held two", "after"]);
    const [, between, one, two] = got;
    assert.ok(one!.time >= made + 40 && two!.time >= made + 40, `held lines carry the time they were written (${one!.time}, ${two!.time}), not the time they were made (${made})`);
    assert.ok(one!.time >= between!.time);
    assert.deepEqual([one!.n, two!.n], [1, 2]);
  });

  test("-v (readable lines, written at once): the lines are made when written", async () => {
    const r = await child(true);
    assert.equal(r.code, 0, r.stderr);
    const at = (msg: string) => r.stdout.indexOf(msg);
    assert.ok(at("before") < at("between") && at("between") < at("held one") && at("held one") < at("held two") && at("held two") < at("after"), r.stdout);
    assert.equal(at("never written"), -1);
  });
});

import { type ChildProcessByStdio, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { ROOT } from "../support/tools.js";

/** How one benchmark edge answers: after a delay, never, or not at all (nobody listens). */
export type LeanBehaviour = { kind: "ok"; delayMs: number } | { kind: "hang" } | { kind: "refuse" };

const SOURCE = join(ROOT, "test/bench/lean-edges.c");
const BINARY = join(ROOT, ".tmp/bench/lean-edges");

/** Compiles lean-edges.c once (again when the source is newer than the program). */
function program(): string {
  const built = statSync(BINARY, { throwIfNoEntry: false });
  if (built && built.mtimeMs >= statSync(SOURCE).mtimeMs) return BINARY;
  mkdirSync(join(ROOT, ".tmp/bench"), { recursive: true });
  try {
    // Both paths are the project's own, so no "--" (which gcc does not take).
    execFileSync("cc", ["-O2", "-Wall", "-o", BINARY, SOURCE], { stdio: "inherit", timeout: 60_000 });
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") throw new Error("npm run bench serves its edges with a small C program (test/bench/lean-edges.c) and needs a C compiler: apt-get install gcc");
    throw err;
  }
  return BINARY;
}

/**
 * The benchmark's loopback edges: test/bench/lean-edges.c, a listener per address on one port, each
 * request read to its blank line, one prepared response written after the edge's delay. Edges stand
 * for machines of their own, but here they share the prober's two cores: served by node, they cost
 * about half a millisecond of CPU per connection, and their own lag in reading a thousand requests
 * arriving at once (up to 70 ms) decided which answers came first. In C they cost a few microseconds.
 */
export class LeanEdges {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcessByStdio<Writable, Readable, null>,
    private readonly lines: AsyncIterator<string>,
    private readonly dir: string,
  ) {}

  static async start(behaviours: ReadonlyMap<string, LeanBehaviour>, body: Buffer): Promise<LeanEdges> {
    const dir = mkdtempSync(join(tmpdir(), "lean-edges-"));
    writeFileSync(join(dir, "response"), Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]));
    const lines = [...behaviours].filter(([, b]) => b.kind !== "refuse").map(([address, b]) => (b.kind === "ok" ? `${address} ok ${b.delayMs}\n` : `${address} hang\n`));
    writeFileSync(join(dir, "behaviours"), lines.join(""));
    const child = spawn(program(), [join(dir, "response"), join(dir, "behaviours")], { stdio: ["pipe", "pipe", "inherit"] });
    const it = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await it.next();
    const port = /^port (\d+)$/.exec(first.done ? "" : first.value)?.[1];
    if (!port) {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`lean-edges did not start (said ${JSON.stringify(first.value)})`);
    }
    return new LeanEdges(Number(port), child, it, dir);
  }

  /** Per edge answered since the last call, ms from accepting the connection to the response's last byte handed to the kernel. */
  async served(): Promise<Map<string, number>> {
    this.child.stdin.write("served\n");
    const served = new Map<string, number>();
    for (;;) {
      const line = await this.lines.next();
      if (line.done) throw new Error("lean-edges ended unasked");
      if (line.value === "end") return served;
      const [address, ms] = line.value.split(" ");
      served.set(address!, Number(ms));
    }
  }

  async close(): Promise<void> {
    const ended = new Promise((r) => this.child.once("exit", r));
    this.child.stdin.end();
    await ended;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

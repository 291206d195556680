import net from "node:net";
import { performance } from "node:perf_hooks";

/** How one benchmark edge answers: after a delay, never, or not at all (nobody listens). */
export type LeanBehaviour = { kind: "ok"; delayMs: number } | { kind: "hang" } | { kind: "refuse" };

/**
 * Loopback edges for the benchmarks, as cheap per connection as HTTP allows: a listener per address,
 * the request read up to its blank line, then one prepared response written whole. The test suite's
 * EdgeSim (an http.Server behind the listeners, recording every request) spends several times more
 * per connection; with a thousand arriving at once on a 2-core machine its own lag, not the prober's,
 * decided which answers came first.
 */
export class LeanEdges {
  /** Per edge, ms from accepting the connection to handing the response's last byte to the kernel. */
  readonly served = new Map<string, number>();

  private readonly listeners: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly response: Buffer;

  private constructor(
    public port: number,
    body: Buffer,
  ) {
    this.response = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]);
  }

  /** The first listener takes port 0 and the kernel's choice; the others share it. */
  static async start(behaviours: ReadonlyMap<string, LeanBehaviour>, body: Buffer): Promise<LeanEdges> {
    const edges = new LeanEdges(0, body);
    for (const [address, b] of behaviours) if (b.kind !== "refuse") await edges.listen(address, b);
    return edges;
  }

  private async listen(address: string, b: Exclude<LeanBehaviour, { kind: "refuse" }>): Promise<void> {
    const server = net.createServer((socket) => {
      const accepted = performance.now();
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => {});
      let head = "";
      const onData = (chunk: Buffer) => {
        head += chunk.toString("latin1");
        if (!head.includes("\r\n\r\n")) return;
        socket.off("data", onData);
        if (b.kind === "hang") return;
        const answer = () => socket.end(this.response, () => this.served.set(address, performance.now() - accepted));
        if (b.delayMs > 0) setTimeout(answer, b.delayMs);
        else answer();
      };
      socket.on("data", onData);
    });
    this.listeners.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port: this.port, host: address, backlog: 4096 }, () => resolve());
    });
    if (this.port === 0) this.port = (server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.listeners.map((l) => new Promise((r) => l.close(r))));
  }
}

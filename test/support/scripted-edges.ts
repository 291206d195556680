import net from "node:net";

/** What one scripted edge sends: pieces after pauses (ms), then it closes, or keeps the connection open. */
export interface Script {
  pieces: [pauseMs: number, bytes: string | Buffer][];
  close: boolean;
}

/**
 * Loopback edges that speak raw bytes: each address answers with its script, whatever the request,
 * once the request's blank line is in. For the wire formats an HTTP server library would not send
 * (chunks split anywhere, no length, a body cut short, interim answers, a connection kept open).
 * One listener per address, all on the port the first got from the kernel.
 */
export class ScriptedEdges {
  /** The bytes of every request, in arrival order. */
  readonly requests: { address: string; bytes: string }[] = [];
  private readonly listeners: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  static async start(scripts: ReadonlyMap<string, Script>): Promise<ScriptedEdges> {
    const edges = new ScriptedEdges();
    for (const [address, script] of scripts) await edges.listen(address, script);
    return edges;
  }

  private async listen(address: string, script: Script): Promise<void> {
    const server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => {});
      let request = "";
      socket.on("data", async (chunk: Buffer) => {
        if (request.includes("\r\n\r\n")) return;
        request += chunk.toString("latin1");
        if (!request.includes("\r\n\r\n")) return;
        this.requests.push({ address, bytes: request });
        for (const [pause, bytes] of script.pieces) {
          if (pause) await new Promise((r) => setTimeout(r, pause));
          if (socket.destroyed) return;
          socket.write(bytes);
        }
        if (script.close) socket.end();
      });
    });
    this.listeners.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port: this.port, host: address }, () => resolve());
    });
    if (this.port === 0) this.port = (server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.listeners.map((l) => new Promise((r) => l.close(r))));
  }
}

import http, { type Server } from "node:http";

export interface Health {
  ok: boolean;
  text: string;
}

/**
 * `/metrics` (text exposition) and `/healthz` (200 or 503 with a line saying why) for the long-running
 * commands: `--daemonise` runs and `zones pull`.
 */
export class StatusServer {
  private readonly server: Server;

  constructor(metrics: () => string, health: () => Health) {
    this.server = http.createServer((req, res) => {
      if (req.url === "/metrics") {
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(metrics());
      } else if (req.url === "/healthz") {
        const h = health();
        res.writeHead(h.ok ? 200 : 503, { "content-type": "text/plain" }).end(`${h.text}\n`);
      } else res.writeHead(404).end("not found: /metrics, /healthz\n");
    });
  }

  /** Listens on HOST:PORT ([IPv6]:PORT; port 0 picks one) and returns the address it got. */
  async listen(address: string): Promise<string> {
    const i = address.lastIndexOf(":");
    const host = address.slice(0, i).replace(/^\[|\]$/g, "") || "0.0.0.0";
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(Number(address.slice(i + 1)), host, () => resolve());
    });
    const a = this.server.address() as { address: string; port: number };
    return `${a.address}:${a.port}`;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

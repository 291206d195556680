import http from "node:http";
import https from "node:https";
import net from "node:net";
import type { TLSSocket } from "node:tls";

/** How one simulated edge answers, chosen by the local address the connection arrived on. */
export type Behaviour =
  | { kind: "ok"; delayMs?: number }
  | { kind: "hang" }
  | { kind: "status"; status: number }
  | { kind: "wrong-body" }
  | { kind: "slow-body"; delayMs: number }
  | { kind: "refuse" };

export interface SeenRequest {
  address: string;
  host: string | undefined;
  userAgent: string | undefined;
  path: string | undefined;
  servername: string | null;
}

/**
 * Real HTTP(S) edges on loopback. One HTTP server handles the connections of many listeners, one per
 * 127.x address, so that an edge that "refuses" is simply an address nobody listens on.
 */
export class EdgeSim {
  readonly requests: SeenRequest[] = [];
  /** Requests being answered right now, and the most there ever were at once. */
  inFlight = 0;
  maxInFlight = 0;
  private readonly listeners = new Map<string, net.Server>();
  private readonly behaviours = new Map<string, Behaviour>();
  /** `source>edge` → behaviour for connections from that source address only (a vantage's view). */
  private readonly fromSource = new Map<string, Behaviour>();
  private readonly server: http.Server;
  /** Edges that present a certificate of their own (HTTPS): one server each. */
  private readonly ownServers = new Map<string, http.Server>();
  private readonly open = new Set<net.Socket>();
  private readonly acceptedAt = new WeakMap<net.Socket, number>();
  /**
   * Per edge, the last answer as the simulator really gave it: ms from accepting the connection to the
   * response's last byte handed to the kernel (its own timer lag included, unlike the delay asked for).
   */
  readonly served = new Map<string, number>();

  private constructor(
    /** Chosen by the kernel when the first address listens. */
    public port: number,
    private readonly body: Buffer,
    tls: { key: string; cert: string } | undefined,
  ) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    this.server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
    this.server.keepAliveTimeout = 1;
  }

  /**
   * The first address listens on port 0 and the kernel picks the port; every other address listens on
   * that port too. Should one of them find it taken (another program on the machine), all start again.
   */
  static async start(opts: { addresses: string[]; body: Buffer; tls?: { key: string; cert: string }; certs?: Record<string, { key: string; cert: string }> }): Promise<EdgeSim> {
    for (let attempt = 0; ; attempt++) {
      const sim = new EdgeSim(0, opts.body, opts.tls);
      for (const [address, c] of Object.entries(opts.certs ?? {})) {
        const server = https.createServer({ key: c.key, cert: c.cert }, (req, res) => sim.handle(req, res));
        server.keepAliveTimeout = 1;
        sim.ownServers.set(address, server);
      }
      try {
        for (const a of opts.addresses) await sim.set(a, { kind: "ok" });
        return sim;
      } catch (err) {
        await sim.close();
        if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= 5) throw err;
      }
    }
  }

  behaviour(address: string, source?: string): Behaviour {
    return (source !== undefined ? this.fromSource.get(`${source}>${address}`) : undefined) ?? this.behaviours.get(address) ?? { kind: "refuse" };
  }

  /**
   * How `edge` answers connections from `source` only (null: as to everyone). `refuse` resets the
   * connection at once: the listener is shared, so the refusal is a TCP reset for that source alone.
   */
  setFrom(source: string, edge: string, b: Behaviour | null): void {
    if (b === null) this.fromSource.delete(`${source}>${edge}`);
    else this.fromSource.set(`${source}>${edge}`, b);
  }

  /** Changes an edge's behaviour; `refuse` closes its listener so connections are really refused. */
  async set(address: string, b: Behaviour): Promise<void> {
    this.behaviours.set(address, b);
    const l = this.listeners.get(address);
    if (b.kind === "refuse") {
      if (l) {
        this.listeners.delete(address);
        await new Promise((r) => l.close(r));
      }
      return;
    }
    if (l) return;
    const listener = net.createServer((socket) => {
      if (this.fromSource.get(`${(socket.remoteAddress ?? "").replace(/^::ffff:/, "")}>${address}`)?.kind === "refuse") {
        socket.resetAndDestroy();
        return;
      }
      this.open.add(socket);
      this.acceptedAt.set(socket, performance.now());
      socket.on("close", () => this.open.delete(socket));
      (this.ownServers.get(address) ?? this.server).emit("connection", socket);
    });
    this.listeners.set(address, listener);
    await new Promise<void>((resolve, reject) => {
      listener.once("error", reject);
      listener.listen(this.port, address, () => resolve());
    });
    if (this.port === 0) this.port = (listener.address() as net.AddressInfo).port;
  }

  async setAll(addresses: string[], b: Behaviour): Promise<void> {
    for (const a of addresses) await this.set(a, b);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const address = (req.socket.localAddress ?? "").replace(/^::ffff:/, "");
    this.requests.push({
      address,
      host: req.headers.host,
      userAgent: req.headers["user-agent"],
      path: req.url,
      servername: ((req.socket as TLSSocket).servername as string | false | undefined) || null,
    });
    const b = this.behaviour(address, (req.socket.remoteAddress ?? "").replace(/^::ffff:/, ""));
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    res.on("close", () => this.inFlight--);
    const send = (status: number, body: Buffer) => {
      res.writeHead(status, { "Content-Type": "application/octet-stream", "Content-Length": body.length, Connection: "close" });
      res.end(body, () => this.served.set(address, performance.now() - (this.acceptedAt.get(req.socket) ?? NaN)));
    };
    switch (b.kind) {
      case "hang":
        return;
      case "status":
        return send(b.status, Buffer.from("error\n"));
      case "wrong-body":
        return send(200, Buffer.from("this is not the test object\n"));
      case "slow-body": {
        res.writeHead(200, { "Content-Length": this.body.length, Connection: "close" });
        const half = Math.floor(this.body.length / 2);
        res.write(this.body.subarray(0, half));
        setTimeout(() => res.end(this.body.subarray(half)), b.delayMs);
        return;
      }
      default: {
        const delay = b.kind === "ok" ? (b.delayMs ?? 0) : 0;
        if (!delay) return send(200, this.body);
        setTimeout(() => send(200, this.body), delay);
      }
    }
  }

  async close(): Promise<void> {
    for (const s of this.open) s.destroy();
    await Promise.all([...this.listeners.values()].map((l) => new Promise((r) => l.close(r))));
    this.listeners.clear();
  }
}

/** 127.0.<hi>.<lo> addresses, skipping .0 and .255. */
export function loopbackAddresses(count: number, start = 1): string[] {
  const out: string[] = [];
  for (let i = start; out.length < count; i++) {
    const hi = Math.floor(i / 254);
    const lo = (i % 254) + 1;
    out.push(`127.0.${hi + 10}.${lo}`);
  }
  return out;
}

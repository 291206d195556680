import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

/** Credentials s3rver accepts. */
export const S3_ENV = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1" };

export interface SeenS3Request {
  method: string;
  path: string;
  /** Body bytes sent by the client and returned by the store. */
  bytesIn?: number;
  bytesOut?: number;
}

/**
 * PreconditionLayer: a real S3-protocol server (s3rver) on loopback, behind a thin test layer:
 * s3rver 3.7.1 ignores If-Match and If-None-Match on PutObject, so this layer applies S3's documented
 * rules for them (412 PreconditionFailed; 404 NoSuchKey for If-Match on a missing key), serialising
 * conditional writes per key. Everything else is passed through untouched (signatures included).
 * The layer also records requests and can inject failures and interleaved writes for fault tests.
 */
export class PreconditionLayer {
  readonly requests: SeenS3Request[] = [];
  honourPreconditions = true;
  private failures: { status: number; code: string }[] = [];
  /** Runs once when the next PutObject arrives, before its preconditions are checked (a competing write). */
  beforeNextPut: (() => Promise<void>) | null = null;
  /**
   * One-shot hooks for the next PutObject whose path contains `match`, run before the request is
   * queued: other clients' requests go on meanwhile, so a whole competing run can happen in between.
   */
  private putHooks: { match: string; fn: () => Promise<void> }[] = [];
  beforePutTo(match: string, fn: () => Promise<void>): void {
    this.putHooks.push({ match, fn });
  }
  /** Runs once, just after the next PutObject was stored (to write between a PUT and its check). */
  afterNextPut: (() => Promise<void>) | null = null;
  private queue = Promise.resolve();

  private constructor(
    private readonly s3rver: S3rver,
    private readonly backendPort: number,
    private readonly layer: http.Server,
  ) {}

  static async start(buckets: string[]): Promise<PreconditionLayer> {
    const s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: mkdtempSync(join(tmpdir(), "em-s3-")), configureBuckets: buckets.map((name) => ({ name })) });
    const { port } = await s3rver.run();
    const layer = http.createServer();
    const server = new PreconditionLayer(s3rver, port, layer);
    layer.on("request", (req, res) => void server.handle(req, res));
    await new Promise<void>((r) => layer.listen(0, "127.0.0.1", () => r()));
    return server;
  }

  /** The endpoint clients use: the precondition layer. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.layer.address() as AddressInfo).port}`;
  }

  /** s3rver itself, for setting up objects behind the client's back. */
  get backendEndpoint(): string {
    return `http://127.0.0.1:${this.backendPort}`;
  }

  failNext(count: number, status = 503, code = "SlowDown"): void {
    for (let i = 0; i < count; i++) this.failures.push({ status, code });
  }

  private forward(req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const up = http.request({ host: "127.0.0.1", port: this.backendPort, method: req.method, path: req.url, headers: req.headers }, (r) => {
        const chunks: Buffer[] = [];
        r.on("data", (c: Buffer) => chunks.push(c));
        r.on("end", () => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(chunks) }));
      });
      up.on("error", reject);
      up.end(body);
    });
  }

  private async currentEtag(path: string): Promise<string | null> {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.request({ host: "127.0.0.1", port: this.backendPort, method: "HEAD", path }, resolve).on("error", reject).end();
    });
    res.resume();
    return res.statusCode === 200 ? ((res.headers.etag as string | undefined) ?? null) : null;
  }

  private static error(res: http.ServerResponse, status: number, code: string): void {
    res.writeHead(status, { "Content-Type": "application/xml" });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code} (test layer)</Message></Error>`);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const path = (req.url ?? "/").split("?")[0]!;
    const seen: SeenS3Request = { method: req.method ?? "", path, bytesIn: body.length };
    this.requests.push(seen);
    const failure = this.failures.shift();
    if (failure) return PreconditionLayer.error(res, failure.status, failure.code);
    const isObjectPut = req.method === "PUT" && !req.headers["x-amz-copy-source"] && path.split("/").length > 2;
    const run = async () => {
      if (isObjectPut) {
        const before = this.beforeNextPut;
        this.beforeNextPut = null;
        if (before) await before();
        const ifMatch = req.headers["if-match"] as string | undefined;
        const ifNoneMatch = req.headers["if-none-match"] as string | undefined;
        if (this.honourPreconditions && (ifMatch || ifNoneMatch)) {
          const current = await this.currentEtag(path);
          if (ifNoneMatch === "*" && current !== null) return PreconditionLayer.error(res, 412, "PreconditionFailed");
          if (ifMatch && current === null) return PreconditionLayer.error(res, 404, "NoSuchKey");
          if (ifMatch && ifMatch !== current) return PreconditionLayer.error(res, 412, "PreconditionFailed");
        }
      }
      const up = await this.forward(req, body);
      if (isObjectPut) {
        const afterPut = this.afterNextPut;
        this.afterNextPut = null;
        if (afterPut) await afterPut();
      }
      seen.bytesOut = up.body.length;
      res.writeHead(up.status, up.headers);
      res.end(up.body);
    };
    if (!isObjectPut) return run();
    const hook = this.putHooks.findIndex((h) => path.includes(h.match));
    if (hook >= 0) await this.putHooks.splice(hook, 1)[0]!.fn();
    // Conditional writes are checked and applied one at a time, as S3 does per key.
    const turn = this.queue.then(run, run);
    this.queue = turn.then(() => undefined, () => undefined);
    await turn;
  }

  async stop(): Promise<void> {
    await new Promise((r) => this.layer.close(r));
    await this.s3rver.close();
  }
}

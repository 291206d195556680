import { randomUUID } from "node:crypto";
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "pino";
import { DEFAULT_MAX_STATE_BYTES, StateDecodeError, SCHEMA_VERSION, decodeStateBytes, encodeStateBytes } from "./codec.js";
import { type NetworkState, emptyState } from "../core/state.js";
import { type Loaded, type StateStore, StateStoreError } from "./store.js";

export interface S3StoreOptions {
  bucket: string;
  /** Object key; `{dnet}` already filled in. */
  key: string;
  onUnreadable: "fail" | "start_empty";
  /** state.max_bytes: a larger object is refused before its body is read. */
  maxBytes?: number;
  /** Bound on each of load and save, retries included (ms). */
  deadlineMs: number;
}

/**
 * The client every S3 adapter uses: throttling and 5xx retried with backoff and jitter, bounded waits.
 * Without an endpoint the SDK's own settings apply (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, or AWS).
 */
export function makeS3Client(opts: { region: string; endpoint?: string; forcePathStyle: boolean }): S3Client {
  return new S3Client({
    region: opts.region,
    endpoint: opts.endpoint,
    forcePathStyle: opts.forcePathStyle,
    maxAttempts: 5,
    retryMode: "standard",
    requestHandler: { connectionTimeout: 3000, requestTimeout: 10000 },
  });
}

const clients = new WeakMap<object, S3Client>();

/**
 * The one client of a network's S3 settings: the state store, the observations exchange and the zone
 * transport share it, so credentials are resolved once (an IRSA role is assumed once, not three times)
 * and connections are reused, across runs too with --daemonise.
 */
export function s3ClientFor(opts: { region: string; endpoint?: string; forcePathStyle: boolean }): S3Client {
  let client = clients.get(opts);
  if (!client) clients.set(opts, (client = makeS3Client(opts)));
  return client;
}

type S3Error = Error & { $metadata?: { httpStatusCode?: number }; Code?: string; code?: string };

const CREDENTIAL_ERRORS = new Set(["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "CredentialsProviderError", "Forbidden"]);

/** Sorts an S3 failure into an operator-facing message and an outcome. */
export function explain(err: unknown, where: string): StateStoreError {
  const e = err as S3Error;
  const name = e.name ?? "";
  const status = e.$metadata?.httpStatusCode;
  const code = e.code ?? (e.cause as { code?: string } | undefined)?.code;
  if (name === "CredentialsProviderError" || /Could not load credentials/.test(e.message ?? "")) {
    return new StateStoreError(`${where}: no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), or run where a role provides them (IRSA: the service account's eks.amazonaws.com/role-arn annotation)`, "unavailable");
  }
  if (name === "NoSuchBucket") return new StateStoreError(`${where}: the bucket does not exist; create it or fix state.bucket`, "unavailable");
  if (CREDENTIAL_ERRORS.has(name) || status === 403) {
    return new StateStoreError(`${where}: credentials rejected (${name}); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the service account's role`, "unavailable");
  }
  if (name === "PreconditionFailed" || status === 412) {
    return new StateStoreError(`${where}: another run changed the state since this run read it (lost race); this run's history was not saved`, "conflict");
  }
  if (name === "AbortError" || name === "TimeoutError" || code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH" || code === "ETIMEDOUT" || name === "RequestTimeout") {
    return new StateStoreError(`${where}: the S3 endpoint is unreachable (${code ?? name}); check state.endpoint / AWS_ENDPOINT_URL_S3 and the network`, "unavailable");
  }
  return new StateStoreError(`${where}: S3 request failed (${name || code || "error"}${status ? `, HTTP ${status}` : ""}: ${e.message})`, "unavailable");
}

/**
 * One gzip'd JSON object per network. Exactly one GET at the start of a run and one conditional PUT at
 * its end (If-Match the ETag read, or If-None-Match: * when creating). Because some S3-compatible
 * stores ignore those headers, the PUT is framed by two HEADs: the object must still be the one read
 * before writing, and must be the one written afterwards; otherwise the run reports a lost race.
 */
export class S3StateStore implements StateStore {
  private readonly runId = randomUUID();

  constructor(
    /** Shared with the other S3 adapters of the run (observations, zones). */
    readonly client: S3Client,
    private readonly opts: S3StoreOptions,
    private readonly log: Logger,
  ) {}

  describe(): string {
    return `s3://${this.opts.bucket}/${this.opts.key}`;
  }

  async load(dnet: string): Promise<Loaded> {
    const where = this.describe();
    const signal = AbortSignal.timeout(this.opts.deadlineMs);
    let body: Uint8Array;
    let etag: string | null;
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key: this.opts.key }), { abortSignal: signal });
      const max = this.opts.maxBytes ?? DEFAULT_MAX_STATE_BYTES;
      if ((res.ContentLength ?? 0) > max) {
        res.Body?.transformToWebStream().cancel().catch(() => {});
        throw new StateStoreError(`${where}: ${res.ContentLength} bytes, more than state.max_bytes (${max}): refused before reading it; raise state.max_bytes or restore a smaller state`, "unreadable");
      }
      body = (await res.Body?.transformToByteArray()) ?? new Uint8Array();
      etag = res.ETag ?? null;
    } catch (err) {
      if (err instanceof StateStoreError) throw err;
      if ((err as Error).name === "NoSuchKey") {
        this.log.info({ state: where }, "no state object yet: starting with an empty history");
        return { state: emptyState(dnet), version: null, source: where, migrated: false };
      }
      throw explain(err, where);
    }
    try {
      const state = decodeStateBytes(Buffer.from(body), this.opts.maxBytes);
      this.log.info({ state: where, bytes: body.length, edges: Object.keys(state.edges).length }, "state loaded");
      return { state, version: etag, source: where, migrated: false };
    } catch (err) {
      const message = err instanceof StateDecodeError ? err.message : String(err);
      if (err instanceof StateDecodeError && err.kind === "newer") throw new StateStoreError(`${where}: ${message}`, "newer");
      if (this.opts.onUnreadable === "fail") {
        throw new StateStoreError(`${where}: the state object is unreadable (${message}); nothing was published or overwritten. Restore a good version, delete it, or set state.on_unreadable: start_empty`, "unreadable");
      }
      this.log.error({ state: where, err: message }, "state object unreadable: starting empty (state.on_unreadable: start_empty); it will be copied aside before being replaced");
      return { state: emptyState(dnet), version: etag, source: where, migrated: false, unreadable: true };
    }
  }

  async save(state: NetworkState, loaded: Loaded): Promise<void> {
    const where = this.describe();
    const signal = AbortSignal.timeout(this.opts.deadlineMs);
    const { bucket, key } = this.opts;
    const current = await this.currentEtag(signal, where);
    if (current !== loaded.version) {
      throw new StateStoreError(`${where}: another run changed the state since this run read it (ETag ${loaded.version ?? "none"} -> ${current ?? "deleted"}); this run's history was not saved`, "conflict");
    }
    if (loaded.unreadable && loaded.version) {
      const aside = `${key}.unreadable-${new Date().toISOString().replace(/[:.]/g, "-")}`;
      try {
        await this.client.send(new CopyObjectCommand({ Bucket: bucket, Key: aside, CopySource: `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`, CopySourceIfMatch: loaded.version }), { abortSignal: signal });
      } catch (err) {
        throw explain(err, `${where} (copying the unreadable object aside to ${aside})`);
      }
      this.log.warn({ state: where, keptAs: aside }, "unreadable state object copied aside");
    }
    const body = encodeStateBytes(state);
    let written: string | undefined;
    try {
      const res = await this.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: "application/gzip",
          Metadata: { "edgemanage-run": this.runId, "edgemanage-schema": String(SCHEMA_VERSION) },
          ...(loaded.version ? { IfMatch: loaded.version } : { IfNoneMatch: "*" }),
        }),
        { abortSignal: signal },
      );
      written = res.ETag;
    } catch (err) {
      if ((err as Error).name === "NoSuchKey") throw new StateStoreError(`${where}: the state object was deleted since this run read it (lost race); not saved`, "conflict");
      throw explain(err, where);
    }
    // Second line of defence for stores that ignore conditional headers: is our write the current one?
    const head = await this.head(signal, where);
    if (!head || head.Metadata?.["edgemanage-run"] !== this.runId || (written && head.ETag !== written)) {
      throw new StateStoreError(`${where}: another run wrote the state at the same time (lost race); the stored history may be that run's`, "conflict");
    }
    this.log.debug({ state: where, bytes: body.length, etag: written }, "state object written");
  }

  private async head(signal: AbortSignal, where: string): Promise<{ ETag?: string; Metadata?: Record<string, string> } | null> {
    try {
      return await this.client.send(new HeadObjectCommand({ Bucket: this.opts.bucket, Key: this.opts.key }), { abortSignal: signal });
    } catch (err) {
      if ((err as Error).name === "NotFound" || (err as S3Error).$metadata?.httpStatusCode === 404) return null;
      throw explain(err, where);
    }
  }

  private async currentEtag(signal: AbortSignal, where: string): Promise<string | null> {
    return (await this.head(signal, where))?.ETag ?? null;
  }
}

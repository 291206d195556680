import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { type Manifest, MAX_MANIFEST_BYTES, manifestText, parseManifest } from "../zone/manifest.js";
import { explain } from "./s3-store.js";

/** A zone file larger than this is not a zone this tool wrote: refused before its body is read. */
export const MAX_ZONE_BYTES = 16 * 1024 * 1024;

export type ManifestRead = { status: "unchanged" } | { status: "missing" } | { status: "ok"; manifest: Manifest; etag: string | null };

type S3Error = Error & { $metadata?: { httpStatusCode?: number } };
const statusOf = (err: unknown) => (err as S3Error).$metadata?.httpStatusCode;

/**
 * One network's zones in the bucket: `<prefix><domain>.zone` and `<prefix>manifest.json`. Every call
 * is bounded by the signal it is given; errors name the object and what to check.
 */
export class ZoneBucket {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    readonly prefix: string,
  ) {}

  url(name: string): string {
    return `s3://${this.bucket}/${this.prefix}${name}`;
  }

  private async getBytes(key: string, max: number, signal: AbortSignal, ifNoneMatch?: string): Promise<{ body: Buffer; etag: string | null }> {
    const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, IfNoneMatch: ifNoneMatch }), { abortSignal: signal });
    if ((res.ContentLength ?? 0) > max) {
      res.Body?.transformToWebStream().cancel().catch(() => {});
      throw new Error(`s3://${this.bucket}/${key}: ${res.ContentLength} bytes, more than the ${max} allowed: refused before reading it`);
    }
    return { body: Buffer.from((await res.Body?.transformToByteArray()) ?? new Uint8Array()), etag: res.ETag ?? null };
  }

  /** The manifest, or "unchanged" when its ETag is still `etag` (a 304 costs no body). */
  async manifest(signal: AbortSignal, etag?: string): Promise<ManifestRead> {
    const where = this.url("manifest.json");
    try {
      const { body, etag: got } = await this.getBytes(`${this.prefix}manifest.json`, MAX_MANIFEST_BYTES, signal, etag);
      return { status: "ok", manifest: parseManifest(body, where), etag: got };
    } catch (err) {
      if (statusOf(err) === 304 || (err as Error).name === "NotModified") return { status: "unchanged" };
      if ((err as Error).name === "NoSuchKey" || statusOf(err) === 404) return { status: "missing" };
      if (err instanceof Error && err.message.startsWith(where)) throw err;
      throw explain(err, where);
    }
  }

  async zone(domain: string, signal: AbortSignal): Promise<Buffer> {
    try {
      return (await this.getBytes(`${this.prefix}${domain}.zone`, MAX_ZONE_BYTES, signal)).body;
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("s3://")) throw err;
      throw explain(err, this.url(`${domain}.zone`));
    }
  }

  private async put(name: string, body: string, type: string, signal: AbortSignal): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${name}`, Body: body, ContentType: type }), { abortSignal: signal });
    } catch (err) {
      throw explain(err, this.url(name));
    }
  }

  putZone(domain: string, text: string, signal: AbortSignal): Promise<void> {
    return this.put(`${domain}.zone`, text, "text/dns", signal);
  }

  putManifest(m: Manifest, signal: AbortSignal): Promise<void> {
    return this.put("manifest.json", manifestText(m), "application/json", signal);
  }
}

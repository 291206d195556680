import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { type Manifest, MAX_MANIFEST_BYTES, manifestText, parseManifest } from "../zone/manifest.js";
import { explain } from "./s3-store.js";

/** A zone file larger than this is not a zone this tool wrote: refused before its body is read. */
export const MAX_ZONE_BYTES = 16 * 1024 * 1024;

export type ManifestRead = { status: "unchanged" } | { status: "missing" } | { status: "ok"; manifest: Manifest; etag: string | null };

/** An object larger than anything this tool writes: refused before its body is read. */
class TooLarge extends Error {}

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

  /** An object's bytes, or the status that says there are none (304 unchanged, 404 missing); any other failure explained. */
  private async getBytes(name: string, max: number, signal: AbortSignal, ifNoneMatch?: string): Promise<{ body: Buffer; etag: string | null } | { status: 304 | 404 }> {
    const where = this.url(name);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${name}`, IfNoneMatch: ifNoneMatch }), { abortSignal: signal });
      if ((res.ContentLength ?? 0) > max) {
        res.Body?.transformToWebStream().cancel().catch(() => {});
        throw new TooLarge(`${where}: ${res.ContentLength} bytes, more than the ${max} allowed: refused before reading it`);
      }
      return { body: Buffer.from((await res.Body?.transformToByteArray()) ?? new Uint8Array()), etag: res.ETag ?? null };
    } catch (err) {
      if (err instanceof TooLarge) throw err;
      if (statusOf(err) === 304 || (err as Error).name === "NotModified") return { status: 304 };
      if ((err as Error).name === "NoSuchKey" || statusOf(err) === 404) return { status: 404 };
      throw explain(err, where);
    }
  }

  /** The manifest, or "unchanged" when its ETag is still `etag` (a 304 costs no body). */
  async manifest(signal: AbortSignal, etag?: string): Promise<ManifestRead> {
    const got = await this.getBytes("manifest.json", MAX_MANIFEST_BYTES, signal, etag);
    if ("status" in got) return { status: got.status === 304 ? "unchanged" : "missing" };
    return { status: "ok", manifest: parseManifest(got.body, this.url("manifest.json")), etag: got.etag };
  }

  async zone(domain: string, signal: AbortSignal): Promise<Buffer> {
    const got = await this.getBytes(`${domain}.zone`, MAX_ZONE_BYTES, signal);
    if ("status" in got) throw new Error(`${this.url(`${domain}.zone`)}: no such object, though the manifest names it`);
    return got.body;
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

import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "pino";
import type { VantageView } from "../core/quorum.js";
import { errorMessage } from "../util/errors.js";
import { decodeObservations, encodeObservations } from "./observations.js";

/**
 * The vantages' observations in the state bucket: each writes its own object (one PUT to a key no
 * other vantage writes) and reads the others' (one GET each). A failure is logged and counts as a
 * missing peer: it never stops the run.
 */
export class ObservationExchange {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    /** `{vantage}` is replaced by a vantage's name; `{dnet}` is already filled in. */
    private readonly keyTemplate: string,
    private readonly dnet: string,
    private readonly log: Logger,
  ) {}

  key(vantage: string): string {
    return this.keyTemplate.replaceAll("{vantage}", vantage);
  }

  async put(view: VantageView): Promise<void> {
    const body = encodeObservations(view, this.dnet);
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(view.name), Body: body, ContentType: "application/gzip" }), { abortSignal: AbortSignal.timeout(15_000) });
    } catch (err) {
      this.log.error({ key: this.key(view.name), err: errorMessage(err) }, "this vantage's observations were not saved: the other vantages will see it as stale");
    }
  }

  async get(vantage: string): Promise<VantageView | null> {
    const key = this.key(vantage);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: AbortSignal.timeout(15_000) });
      return decodeObservations(Buffer.from(await res.Body!.transformToByteArray()));
    } catch (err) {
      if ((err as Error).name !== "NoSuchKey") this.log.warn({ vantage, key, err: errorMessage(err) }, `observations of vantage ${vantage} unreadable: counted as stale`);
      return null;
    }
  }
}

/**
 * The HTTP/1.1 answer to a probe's GET, read from the bytes as they arrive: status line, header
 * fields, then a body framed by Content-Length, chunked coding or the end of the connection
 * (RFC 9112). Pure: no socket, no clock. A probe needs nothing else of HTTP, and node's client costs
 * several times more per request; with a thousand probes started at once, that cost decided how late
 * the answers already arriving were timed.
 */

/** What was read: the status and the decoded body. */
export interface Response {
  status: number;
  body: Buffer;
}

/** A response that breaks the protocol, or ends too soon; `code` as node's client would say it. */
export class ResponseError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A body over the size limit. */
export class TooLarge extends Error {
  readonly code = "ERR_TOO_LARGE";
}

/** Node's client refuses a head over 16 KiB too. */
export const MAX_HEAD_BYTES = 16 * 1024;
/** A chunk-size line or trailer line longer than this is not a probe's answer. */
const MAX_LINE_BYTES = 4096;

const STATUS_LINE = /^HTTP\/1\.[01] ([1-9]\d\d)(?: [^\r\n]*)?$/;
const FIELD = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,15})[ \t]*(?:;.*)?$/;

type Framing = { kind: "length"; left: number } | { kind: "close" } | { kind: "chunked" };

/** The end of a head in b[0, length): the index just after its blank line, or -1. Bare LF line ends are taken too. */
function headEnd(b: Buffer, from: number, length: number): number {
  for (let i = b.indexOf(10, from); i !== -1 && i < length; i = b.indexOf(10, i + 1)) {
    if (i + 1 < length && b[i + 1] === 10) return i + 2;
    if (i + 2 < length && b[i + 1] === 13 && b[i + 2] === 10) return i + 3;
  }
  return -1;
}

const lines = (text: string) => text.split(/\r?\n/);

/**
 * Feed it the connection's bytes; `feed` returns the response once its last byte is in, `end` says
 * what the end of the connection means. Both throw ResponseError or TooLarge.
 */
export class ResponseReader {
  /** The head so far: head[0, headLength), grown by doubling and scanned once, so that a head sent a byte at a time costs no more than one sent whole. */
  private head: Buffer = Buffer.alloc(0);
  private headLength = 0;
  private scanned = 0;
  private statusChecked = false;
  private status = 0;
  private framing: Framing | null = null;
  private readonly body: Buffer[] = [];
  private size = 0;
  /** Chunked coding: the bytes of the current chunk still to come, or null while a line is awaited. */
  private chunkLeft: number | null = null;
  private line = "";
  /** Chunked coding: after the last chunk, reading trailer lines until a blank one. */
  private trailers = false;
  /** Chunked coding: the CRLF that closes a chunk's data is still to come. */
  private dataEnd = false;

  constructor(private readonly maxBytes: number) {}

  /** The next bytes of the connection. They may be a view of a buffer reused for the next read: what is kept is copied. */
  feed(chunk: Buffer): Response | null {
    if (this.framing) return this.readBody(chunk, false);
    // A loop, not a call per head: an edge may send any number of interim (1xx) answers in one read.
    for (let input = chunk; ; ) {
      // The usual case, a whole head in one read, is read where it lies; only a head in pieces is copied.
      const whole = this.headLength === 0 ? headEnd(input, 0, Math.min(input.length, MAX_HEAD_BYTES + 4)) : -1;
      const head = whole === -1 ? this.gather(input) : { bytes: input, end: whole, length: input.length };
      if (!head) return null;
      const rest = head.bytes.subarray(head.end, head.length);
      const done = this.readHead(head.bytes.toString("latin1", 0, head.end));
      if (whole === -1) [this.head, this.headLength, this.scanned, this.statusChecked] = [Buffer.alloc(0), 0, 0, false];
      if (done) return done;
      // What follows a head gathered here is this reader's own copy; what follows one read in place is not.
      if (this.framing) return this.readBody(rest, whole === -1);
      if (!rest.length) return null;
      input = rest;
    }
  }

  /** Adds a piece of a head; the head so far once its blank line is in, else null. */
  private gather(input: Buffer): { bytes: Buffer; end: number; length: number } | null {
    this.appendHead(input);
    // A blank line may straddle two reads: look again from just before where the last look ended.
    const from = this.scanned;
    const end = headEnd(this.head, Math.max(0, from - 2), this.headLength);
    this.scanned = this.headLength;
    if (end !== -1) return { bytes: this.head, end, length: this.headLength };
    // Refuse what is not HTTP as soon as its first line is in, not when the connection ends.
    const nl = !this.statusChecked ? this.head.subarray(0, this.headLength).indexOf(10, from) : -1;
    if (nl !== -1) {
      this.statusOf(this.head.toString("latin1", 0, nl).replace(/\r$/, ""));
      this.statusChecked = true;
    }
    if (this.headLength > MAX_HEAD_BYTES) throw new ResponseError("HPE_HEADER_OVERFLOW", `response head over ${MAX_HEAD_BYTES} bytes`);
    return null;
  }

  private appendHead(chunk: Buffer): void {
    if (this.headLength + chunk.length > this.head.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.head.length, this.headLength + chunk.length, 1024));
      this.head.copy(grown, 0, 0, this.headLength);
      this.head = grown;
    }
    chunk.copy(this.head, this.headLength);
    this.headLength += chunk.length;
  }

  /** The connection ended: only a body framed by its end is complete. */
  end(): Response {
    if (this.framing?.kind === "close") return this.done();
    throw new ResponseError("ECONNRESET", this.framing ? "aborted: the connection ended inside the body" : "socket hang up");
  }

  /** Reads a whole head; returns the response when it has no body. */
  private readHead(text: string): Response | null {
    const [statusLine = "", ...fields] = lines(text).slice(0, -2);
    const status = this.statusOf(statusLine);
    const lengths: string[] = [];
    let codings = "";
    for (const f of fields) {
      const fm = FIELD.exec(f);
      if (!fm) throw new ResponseError("HPE_INVALID_HEADER_TOKEN", `malformed header field: ${JSON.stringify(f.slice(0, 60))}`);
      const name = fm[1]!.toLowerCase();
      if (name === "content-length") lengths.push(...fm[2]!.split(",").map((v) => v.trim()));
      else if (name === "transfer-encoding") codings += `${codings ? "," : ""}${fm[2]}`;
    }
    if (status === 101) throw new ResponseError("HPE_INVALID_CONSTANT", "the edge switched protocols (101) on a plain GET");
    if (status < 200) return null;
    this.status = status;
    if (status === 204 || status === 304) return this.done();
    if (codings) {
      // RFC 9112 6.3: Transfer-Encoding overrides Content-Length; a response not ending in chunked is read to the close.
      this.framing = codings.split(",").at(-1)!.trim().toLowerCase() === "chunked" ? { kind: "chunked" } : { kind: "close" };
      return null;
    }
    if (lengths.length) {
      if (!lengths.every((v) => /^\d{1,15}$/.test(v) && v === lengths[0])) throw new ResponseError("HPE_UNEXPECTED_CONTENT_LENGTH", `invalid Content-Length: ${JSON.stringify(lengths.join(", ").slice(0, 60))}`);
      const left = Number(lengths[0]);
      if (left > this.maxBytes) throw new TooLarge(`body over ${this.maxBytes} bytes (Content-Length ${left})`);
      this.framing = { kind: "length", left };
      return left === 0 ? this.done() : null;
    }
    this.framing = { kind: "close" };
    return null;
  }

  private statusOf(statusLine: string): number {
    const m = STATUS_LINE.exec(statusLine);
    if (!m) throw new ResponseError("HPE_INVALID_CONSTANT", `not an HTTP/1.x status line: ${JSON.stringify(statusLine.slice(0, 60))}`);
    return Number(m[1]);
  }

  /** `owned`: the chunk is this reader's own copy, not a view of a reused buffer. */
  private readBody(chunk: Buffer, owned: boolean): Response | null {
    const f = this.framing!;
    if (f.kind === "close") {
      this.take(chunk, owned);
      return null;
    }
    if (f.kind === "length") {
      const part = chunk.length > f.left ? chunk.subarray(0, f.left) : chunk;
      this.take(part, owned);
      f.left -= part.length;
      return f.left === 0 ? this.done() : null;
    }
    return this.readChunked(chunk, owned);
  }

  private readChunked(chunk: Buffer, owned: boolean): Response | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.chunkLeft !== null) {
        const n = Math.min(this.chunkLeft, chunk.length - i);
        this.take(chunk.subarray(i, i + n), owned);
        i += n;
        this.chunkLeft -= n;
        if (this.chunkLeft === 0) [this.chunkLeft, this.dataEnd] = [null, true];
        continue;
      }
      const nl = chunk.indexOf(10, i);
      this.line += chunk.toString("latin1", i, nl === -1 ? chunk.length : nl + 1);
      if (this.line.length > MAX_LINE_BYTES) throw new ResponseError("HPE_CHUNK_EXTENSIONS_OVERFLOW", `chunked body: a line over ${MAX_LINE_BYTES} bytes`);
      if (nl === -1) return null;
      i = nl + 1;
      const line = this.line.replace(/\r?\n$/, "");
      this.line = "";
      if (this.dataEnd) {
        if (line !== "") throw new ResponseError("HPE_STRICT", "chunked body: chunk data longer than its size");
        this.dataEnd = false;
      } else if (this.trailers) {
        if (line === "") return this.done();
      } else {
        const m = CHUNK_SIZE.exec(line);
        if (!m) throw new ResponseError("HPE_INVALID_CHUNK_SIZE", `chunked body: invalid chunk size ${JSON.stringify(line.slice(0, 60))}`);
        const size = Number.parseInt(m[1]!, 16);
        if (size === 0) this.trailers = true;
        else this.chunkLeft = size;
      }
    }
    return null;
  }

  private take(part: Buffer, owned: boolean): void {
    this.size += part.length;
    if (this.size > this.maxBytes) throw new TooLarge(`body over ${this.maxBytes} bytes`);
    if (part.length) this.body.push(owned ? part : Buffer.from(part));
  }

  private done(): Response {
    return { status: this.status, body: this.body.length === 1 ? this.body[0]! : Buffer.concat(this.body) };
  }
}

import net from "node:net";
import type { Duplex } from "node:stream";
import type { Observation } from "../core/decide.js";
import { Ending, type ProbeGroup } from "./ending.js";
import { type Response, ResponseError, ResponseReader } from "./response-reader.js";
import { type PeerCert, connectTls } from "./tls.js";
import { monotonicMs } from "../util/monotonic.js";

export interface ProbeSettings {
  proto: "http" | "https";
  /** Host header and TLS SNI name. */
  host: string;
  port: number;
  uri: string;
  verify: boolean;
  maxBytes: number;
  /** Per-fetch timeout in seconds; also the value recorded for a failed fetch. */
  timeout: number;
  retry: number;
  userAgent: string;
  /** testobject.local: every answer must be these bytes (compared as they are; md5s are named only when they differ). */
  testObject: Buffer;
  concurrency: number;
  /** The local address probes leave from (probe.source_address), or null for the system's choice. */
  sourceAddress?: string | null;
}

/** What a probe still open becomes should nothing more arrive before its timeout: a plan made ahead counts on it. */
export const timedOut = (s: ProbeSettings): Observation => ({ seconds: s.timeout, outcome: "timeout", detail: "ended: timeout" });

/** Connection failures worth another try; anything else (timeouts, HTTP errors) is final. */
const RETRYABLE = new Set(["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "EAI_AGAIN"]);

export function md5(data: Buffer | string): string {
  return process.getBuiltinModule("node:crypto").createHash("md5").update(data).digest("hex");
}

interface Answer extends Response {
  /** monotonicMs() just after the connection was opened: where the fetch time starts. */
  started: number;
}

/** The request every probe of a run sends, made once: the same bytes go to every edge. */
const requests = new WeakMap<ProbeSettings, Buffer>();
function requestOf(s: ProbeSettings): Buffer {
  let r = requests.get(s);
  if (!r) requests.set(s, (r = Buffer.from(`GET ${s.uri} HTTP/1.1\r\nHost: ${s.host}\r\nUser-Agent: ${s.userAgent}\r\nAccept: */*\r\nConnection: close\r\n\r\n`, "latin1")));
  return r;
}

/**
 * Where plain connections read into (`onread`): one buffer for all, since a read's bytes are handed to
 * the reader, which copies what it keeps, before the next read. No stream machinery and no new buffer
 * per read: with a thousand probes in flight, that was much of the work of reading the answers.
 */
const READ_BUFFER = Buffer.alloc(64 * 1024);

/**
 * One GET on a connection of its own (TLS: recording the certificate), its answer read by
 * ResponseReader. No redirect is followed, no compression asked for. The request goes out as soon as
 * the connection is open.
 */
function get(address: string, s: ProbeSettings, ending: Ending, onCert: (c: PeerCert) => void): Promise<Answer> {
  const localAddress = s.sourceAddress ?? undefined;
  return new Promise<Answer>((resolve, reject) => {
    let started = Number.NaN;
    let settled = false;
    const reader = new ResponseReader(s.maxBytes);
    const settle = (read: () => Response | null) => {
      if (settled) return;
      try {
        const r = read();
        if (!r) return;
        resolve({ ...r, started });
      } catch (err) {
        reject(err);
      }
      settled = true;
      socket.destroy();
    };
    const fail = (err: Error) => {
      settled = true;
      reject(err);
    };
    const onRead = (n: number, buf: Uint8Array) => {
      settle(() => reader.feed(Buffer.from(buf.buffer, buf.byteOffset, n)));
      return true; // go on reading
    };
    const socket: Duplex =
      s.proto === "https"
        ? connectTls({ address, port: s.port, host: s.host, verify: s.verify, localAddress }, onCert).on("data", (chunk: Buffer) => settle(() => reader.feed(chunk)))
        : net.connect({ host: address, port: s.port, localAddress, onread: { buffer: READ_BUFFER, callback: onRead } });
    socket.on("end", () => settle(() => reader.end()));
    socket.on("error", fail);
    // Closed without an error and without an answer: the far end hung up.
    socket.on("close", () => settled || fail(new ResponseError("ECONNRESET", "socket hang up")));
    // Failed here, the socket destroyed without an error: node formats the stack of an error given to
    // destroy, some 25 µs for each of the timeouts that end a run.
    ending.onEnd(() => {
      fail(new Error(`ended: ${ending.why}`));
      socket.destroy();
    });
    // TLS keeps the request until its handshake is done. A plain one is written once connected: queued
    // before, a refused connection fails the queued write too, and node formats that error's stack
    // (some 80 µs for each attempt at a refusing edge, while the other probes are being started).
    if (s.proto === "https") socket.write(requestOf(s));
    else socket.once("connect", () => socket.write(requestOf(s)));
    // net.connect opens the connection in a tick it queued before this one: the time starts after that.
    process.nextTick(() => (started = monotonicMs()));
  }).finally(() => ending.onEnd(null));
}

function classify(err: unknown, ending: Ending): Observation["outcome"] {
  if (ending.why) return ending.why;
  const code = (err as { code?: string }).code;
  if (code === "ERR_TOO_LARGE") return "too_large";
  if (code === "ERR_EDGE_CERTIFICATE") return "tls";
  if (code === "ECONNREFUSED") return "refused";
  return "error";
}

/** A pause before another attempt, cut short when the probe is ended. */
const pause = (ms: number, ending: Ending) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    ending.onEnd(() => (clearTimeout(t), resolve()));
  }).finally(() => ending.onEnd(null));

async function attempts(address: string, s: ProbeSettings, ending: Ending, checkAfter: Promise<void>): Promise<Observation> {
  let cert: PeerCert | null = null;
  const fail = (outcome: Observation["outcome"], detail: string): Observation => ({ seconds: s.timeout, outcome, detail });
  const withCert = (o: Observation): Observation => (cert ? { ...o, cert: { notAfter: cert.notAfter, issuer: cert.issuer, nameMatch: cert.nameMatch } } : o);
  for (let attempt = 0; ; attempt++) {
    try {
      const { status, body, started } = await get(address, s, ending, (c) => (cert = c));
      const seconds = Math.round(monotonicMs() - started) / 1000;
      // Timed: what is left (the checksum, and the caller's log line) can wait until every probe has started.
      await checkAfter;
      if (status < 200 || status > 299) return withCert(fail("http_error", `HTTP ${status}`));
      // Bytes compared, not checksums: a thousand answers' md5s were work done while answers came in.
      if (!body.equals(s.testObject)) return withCert(fail("checksum", `md5 ${md5(body)} != expected ${md5(s.testObject)} (${body.length} bytes)`));
      return withCert({ seconds: Math.min(seconds, s.timeout), outcome: "ok" });
    } catch (err) {
      const outcome = classify(err, ending);
      const code = (err as { code?: string }).code;
      const detail = outcome === "tls" ? (err as Error).message : `${code ?? ""} ${(err as Error).message}`.trim();
      if (!ending.why && code && RETRYABLE.has(code) && attempt < s.retry) {
        await pause(50 * (attempt + 1), ending);
        if (!ending.why) continue;
      }
      return withCert(fail(outcome === "refused" && attempt > 0 ? "refused" : outcome, attempt > 0 ? `${detail} (after ${attempt + 1} attempts)` : detail));
    }
  }
}

/**
 * One probe: GET the test object, time it to the last byte, compare it with testobject.local, within
 * `timeout` for all attempts. An answer is checked, and the probe ends, once `checkAfter` has settled:
 * while thousands of probes are being started, the answers already in are timed at once and checked
 * afterwards, so that checking them does not hold the last probes' start back. Never throws.
 */
export async function probeOne(address: string, s: ProbeSettings, group: ProbeGroup, checkAfter: Promise<void> = Promise.resolve()): Promise<Observation> {
  const ending = new Ending();
  const timer = setTimeout(() => ending.end("timeout"), s.timeout * 1000);
  const leave = group.join(ending);
  try {
    return await attempts(address, s, ending, checkAfter);
  } finally {
    clearTimeout(timer);
    leave();
  }
}

import { createHash } from "node:crypto";
import http, { type ClientRequest } from "node:http";
import net from "node:net";
import { performance } from "node:perf_hooks";
import type { Duplex } from "node:stream";
import type { Observation } from "../core/decide.js";
import { Ending, type ProbeGroup } from "./ending.js";
import { type PeerCert, connectTls } from "./tls.js";

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
  expectedMd5: string;
  concurrency: number;
  /** The local address probes leave from (probe.source_address), or null for the system's choice. */
  sourceAddress?: string | null;
}

/** Connection failures worth another try; anything else (timeouts, HTTP errors) is final. */
const RETRYABLE = new Set(["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "EAI_AGAIN"]);

export function md5(data: Buffer | string): string {
  return createHash("md5").update(data).digest("hex");
}

/** A body over the size limit: the request is cut off. */
class TooLarge extends Error {
  readonly code = "ERR_TOO_LARGE";
}

interface Answer {
  status: number;
  body: Buffer;
  /** performance.now() just after the connection was opened: where the fetch time starts. */
  started: number;
}

/**
 * One GET with node's own client and no agent: the probe opens its own connection (TLS: recording the
 * certificate), so starting one costs little. That matters when a thousand start at once: every start
 * delays the timing of the answers already arriving. No redirect is followed, no compression asked for.
 */
function get(address: string, s: ProbeSettings, ending: Ending, onCert: (c: PeerCert) => void): Promise<Answer> {
  const localAddress = s.sourceAddress ?? undefined;
  const connect = s.proto === "https" ? () => connectTls({ address, port: s.port, host: s.host, verify: s.verify, localAddress }, onCert) : (): Duplex => net.connect({ host: address, port: s.port, localAddress });
  return new Promise<Answer>((resolve, reject) => {
    let started = Number.NaN;
    // node:https (and with it node:tls) is loaded only when the test object is fetched over HTTPS.
    const req: ClientRequest = (s.proto === "https" ? process.getBuiltinModule("node:https") : http).request({ host: address, port: s.port, path: s.uri, createConnection: connect, headers: { Host: s.host, "User-Agent": s.userAgent, Accept: "*/*" } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size <= s.maxBytes) return void chunks.push(c);
        // Once the answer has begun, destroying the request ends the body quietly: say why first.
        reject(new TooLarge(`body over ${s.maxBytes} bytes`));
        req.destroy();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), started }));
      res.on("error", reject);
    });
    req.on("error", reject);
    ending.onEnd(() => req.destroy(new Error(`ended: ${ending.why}`)));
    req.end();
    // net.connect opens the connection in a tick it queued while the request was made, before this
    // one: the time starts after that, not before the request object's set-up (the first probe of a
    // run spends some milliseconds there that no edge should be charged with).
    process.nextTick(() => (started = performance.now()));
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

async function attempts(address: string, s: ProbeSettings, ending: Ending): Promise<Observation> {
  let cert: PeerCert | null = null;
  const fail = (outcome: Observation["outcome"], detail: string): Observation => ({ seconds: s.timeout, outcome, detail });
  const withCert = (o: Observation): Observation => (cert ? { ...o, cert: { notAfter: cert.notAfter, issuer: cert.issuer, nameMatch: cert.nameMatch } } : o);
  for (let attempt = 0; ; attempt++) {
    try {
      const { status, body, started } = await get(address, s, ending, (c) => (cert = c));
      const seconds = Math.round(performance.now() - started) / 1000;
      if (status < 200 || status > 299) return withCert(fail("http_error", `HTTP ${status}`));
      const got = md5(body);
      if (got !== s.expectedMd5) return withCert(fail("checksum", `md5 ${got} != expected ${s.expectedMd5} (${body.length} bytes)`));
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

/** One probe: GET the test object, time it to the last byte, check its md5, within `timeout` for all attempts. Never throws. */
export async function probeOne(address: string, s: ProbeSettings, group: ProbeGroup): Promise<Observation> {
  const ending = new Ending();
  const timer = setTimeout(() => ending.end("timeout"), s.timeout * 1000);
  const leave = group.join(ending);
  try {
    return await attempts(address, s, ending);
  } finally {
    clearTimeout(timer);
    leave();
  }
}

import { createHash } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { isIPv6 } from "node:net";
import { performance } from "node:perf_hooks";
import type { Observation } from "../core/decide.js";
import { CertAgent } from "./tls.js";

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

export interface ProbeTarget {
  address: string;
  kind: "edge" | "canary";
}

export interface ProbeOptions {
  /** Aborts every open probe: they are recorded as failures ("deadline"). */
  deadline: AbortSignal;
  /** Pending canary probes are cancelled once this many canaries have failed. */
  canaryKiller: number;
  onResult?: (target: ProbeTarget, o: Observation) => void;
  onCanariesKilled?: (failures: number) => void;
}

/** Connection failures worth another try; anything else (timeouts, HTTP errors) is final. */
const RETRYABLE = new Set(["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "EAI_AGAIN"]);

export const DEFAULT_CONCURRENCY = 10_000;
const START_BATCH = 16;

export function md5(data: Buffer | string): string {
  return createHash("md5").update(data).digest("hex");
}

export function probeUrl(address: string, s: Pick<ProbeSettings, "proto" | "port" | "uri">): string {
  return `${s.proto}://${isIPv6(address) ? `[${address}]` : address}:${s.port}${s.uri}`;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

/** A body over the size limit: the request is cut off. */
class TooLarge extends Error {
  readonly code = "ERR_TOO_LARGE";
}

/**
 * One GET with node's own client: a few times cheaper to start than a fetch() wrapper, which matters
 * when a thousand start at once (every start delays the timing of the responses already arriving).
 * No redirect is followed and no compression is asked for.
 */
function get(url: URL, s: ProbeSettings, agent: http.Agent, signal: AbortSignal): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === "https:" ? https : http;
    const req = client.request(url, { agent, signal, headers: { Host: s.host, "User-Agent": s.userAgent, Accept: "*/*" } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size <= s.maxBytes) return void chunks.push(c);
        reject(new TooLarge(`body over ${s.maxBytes} bytes`));
        req.destroy();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

function classify(err: unknown, signals: { deadline: AbortSignal; timeout: AbortSignal }): Observation["outcome"] {
  if (signals.deadline.aborted) return "deadline";
  if (signals.timeout.aborted) return "timeout";
  const e = err as { code?: string; type?: string; name?: string };
  if (e.code === "ERR_TOO_LARGE") return "too_large";
  if (e.code === "ERR_EDGE_CERTIFICATE") return "tls";
  if (e.code === "ECONNREFUSED") return "refused";
  return "error";
}

/** One probe: GET the test object, time it to the last byte, check its md5. Never throws. */
export async function probeOne(address: string, s: ProbeSettings, agent: http.Agent, deadline: AbortSignal): Promise<Observation> {
  const timeoutSignal = AbortSignal.timeout(s.timeout * 1000);
  const signal = AbortSignal.any([deadline, timeoutSignal]);
  const fail = (outcome: Observation["outcome"], detail: string): Observation => ({ seconds: s.timeout, outcome, detail });
  const url = new URL(probeUrl(address, s));
  const withCert = (o: Observation): Observation => {
    const c = agent instanceof CertAgent ? agent.cert : null;
    return c ? { ...o, cert: { notAfter: c.notAfter, issuer: c.issuer, nameMatch: c.nameMatch } } : o;
  };
  for (let attempt = 0; ; attempt++) {
    const started = performance.now();
    try {
      const res = await get(url, s, agent, signal);
      const body = res.body;
      const seconds = Math.round(performance.now() - started) / 1000;
      if (res.status < 200 || res.status > 299) return withCert(fail("http_error", `HTTP ${res.status}`));
      const got = md5(body);
      if (got !== s.expectedMd5) return withCert(fail("checksum", `md5 ${got} != expected ${s.expectedMd5} (${body.length} bytes)`));
      return withCert({ seconds: Math.min(seconds, s.timeout), outcome: "ok" });
    } catch (err) {
      const outcome = classify(err, { deadline, timeout: timeoutSignal });
      const code = (err as { code?: string }).code;
      const detail = outcome === "tls" ? (err as Error).message : `${code ?? ""} ${(err as Error).message}`.trim();
      if (outcome !== "timeout" && outcome !== "deadline" && code && RETRYABLE.has(code) && attempt < s.retry) {
        await sleep(50 * (attempt + 1), signal);
        if (!signal.aborted) continue;
      }
      return withCert(fail(outcome === "refused" && attempt > 0 ? "refused" : outcome, attempt > 0 ? `${detail} (after ${attempt + 1} attempts)` : detail));
    }
  }
}

/**
 * Probes every target concurrently (at most `concurrency` at once). Resolves when all are done or the
 * deadline passed; cancelled canaries are absent from the result.
 */
export async function probeAll(targets: readonly ProbeTarget[], s: ProbeSettings, opts: ProbeOptions): Promise<Map<string, Observation>> {
  // HTTPS: an agent per probe, to know which certificate each edge presented.
  const localAddress = s.sourceAddress ?? undefined;
  const shared = new http.Agent({ keepAlive: false, maxSockets: Infinity, localAddress });
  const agentFor = () => (s.proto === "https" ? new CertAgent(s.host, s.verify, localAddress) : shared);
  const results = new Map<string, Observation>();
  const canaryStop = new AbortController();
  const canarySignal = AbortSignal.any([opts.deadline, canaryStop.signal]);
  let canaryFailures = 0;
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const target = targets[next++]!;
      const isCanary = target.kind === "canary";
      if (isCanary && canaryStop.signal.aborted) continue;
      if (opts.deadline.aborted) {
        results.set(target.address, { seconds: s.timeout, outcome: "deadline", detail: "not started before run_deadline" });
        continue;
      }
      const agent = agentFor();
      const o = await probeOne(target.address, s, agent, isCanary ? canarySignal : opts.deadline);
      if (agent !== shared) agent.destroy();
      if (isCanary && canaryStop.signal.aborted) continue;
      results.set(target.address, o);
      opts.onResult?.(target, o);
      if (isCanary && o.outcome !== "ok" && ++canaryFailures >= opts.canaryKiller) {
        canaryStop.abort();
        opts.onCanariesKilled?.(canaryFailures);
      }
    }
  };
  try {
    // Start in small batches, yielding to the event loop between them: starting hundreds of requests
    // in one tick would delay every response callback and inflate the fetch times measured first.
    const running: Promise<void>[] = [];
    for (let i = 0; i < Math.min(s.concurrency, targets.length); i++) {
      if (i > 0 && i % START_BATCH === 0) await new Promise<void>((r) => setImmediate(r));
      running.push(worker());
    }
    await Promise.all(running);
  } finally {
    shared.destroy();
  }
  return results;
}

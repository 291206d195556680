import { errorMessage } from "../util/errors.js";

export interface ControlResult {
  ok: boolean;
  detail: string;
}

/**
 * The mass-failure guard's controls: URLs that should always answer from where the prober runs. A
 * control passes when it answers with a status below 400 within `timeout` seconds. Never throws.
 */
export async function probeControls(urls: readonly string[], timeout: number, userAgent: string, deadline: AbortSignal, sourceAddress: string | null = null): Promise<Map<string, ControlResult>> {
  if (!urls.length) return new Map();
  // Loaded only when controls are configured (node:http too: the probes do not use it): a good part of the start-up time otherwise.
  const { default: fetch } = await import("node-fetch");
  const agent = (u: URL) => new (process.getBuiltinModule(u.protocol === "https:" ? "node:https" : "node:http").Agent)({ localAddress: sourceAddress ?? undefined });
  const results = await Promise.all(
    urls.map(async (url): Promise<[string, ControlResult]> => {
      try {
        const res = await fetch(url, { agent, signal: AbortSignal.any([deadline, AbortSignal.timeout(timeout * 1000)]), redirect: "manual", size: 1 << 20, headers: { "User-Agent": userAgent } });
        await res.arrayBuffer();
        return [url, { ok: res.status < 400, detail: `HTTP ${res.status}` }];
      } catch (err) {
        return [url, { ok: false, detail: errorMessage(err) }];
      }
    }),
  );
  return new Map(results);
}

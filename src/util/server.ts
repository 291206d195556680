import { isIP } from "node:net";

/** A DNS server to ask: HOST[:PORT], [IPv6]:PORT. */
export interface Server {
  host: string;
  port: number;
}

export function parseServer(text: string): Server | null {
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(text) ?? /^([A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(text) ?? (isIP(text) === 6 ? [text, text, undefined] : null);
  if (!m) return null;
  const port = m[2] === undefined ? 53 : Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1]!, port } : null;
}

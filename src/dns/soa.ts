import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Server } from "../util/server.js";

const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];
const TYPE_SOA = 6;

function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, "").split(".").filter(Boolean);
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "ascii")])), Buffer.from([0])]);
}

/** A non-recursive SOA question, as `dig +norec name SOA` asks it. */
export function soaQuery(name: string, id: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(TYPE_SOA, 0);
  tail.writeUInt16BE(1, 2);
  return Buffer.concat([header, encodeName(name), tail]);
}

/** The offset just past a (possibly compressed) name; bounded so a hostile packet cannot loop. */
function skipName(msg: Buffer, at: number): number {
  for (let i = 0; i < 128; i++) {
    if (at >= msg.length) throw new Error("truncated name");
    const len = msg[at]!;
    if (len === 0) return at + 1;
    if ((len & 0xc0) === 0xc0) return at + 2;
    at += len + 1;
  }
  throw new Error("name too long");
}

/** The SOA serial of the answer to `soaQuery`, or why there is none. */
export function soaSerial(msg: Buffer, id: number): number {
  if (msg.length < 12 || msg.readUInt16BE(0) !== id) throw new Error("answer does not match the question");
  const flags = msg.readUInt16BE(2);
  const rcode = flags & 0xf;
  if (rcode !== 0) throw new Error(`server answered ${RCODES[rcode] ?? `rcode ${rcode}`}`);
  if (flags & 0x0200) throw new Error("answer truncated");
  if (!(flags & 0x0400)) throw new Error("server is not authoritative for the zone (it does not serve it)");
  const questions = msg.readUInt16BE(4);
  const answers = msg.readUInt16BE(6);
  let at = 12;
  for (let i = 0; i < questions; i++) at = skipName(msg, at) + 4;
  for (let i = 0; i < answers; i++) {
    at = skipName(msg, at);
    if (at + 10 > msg.length) throw new Error("truncated answer");
    const type = msg.readUInt16BE(at);
    const rdlength = msg.readUInt16BE(at + 8);
    const rdata = at + 10;
    if (type === TYPE_SOA) {
      const serialAt = skipName(msg, skipName(msg, rdata));
      if (serialAt + 4 > rdata + rdlength || serialAt + 4 > msg.length) throw new Error("truncated SOA record");
      return msg.readUInt32BE(serialAt);
    }
    at = rdata + rdlength;
  }
  throw new Error("no SOA record in the answer");
}

/**
 * Asks `server` for the SOA serial of `zone` over UDP: each try bounded by `timeoutMs`, the name of
 * the server looked up within the same bound. Throws with the reason.
 */
export async function querySerial(server: Server, zone: string, timeoutMs = 3000, tries = 2): Promise<number> {
  const bound = AbortSignal.timeout(timeoutMs * tries);
  const address = isIP(server.host)
    ? server.host
    : (await Promise.race([lookup(server.host), new Promise<never>((_, reject) => bound.addEventListener("abort", () => reject(new Error(`${server.host} does not resolve in time`)), { once: true }))])).address;
  let last: Error = new Error("no answer");
  for (let t = 0; t < tries; t++) {
    const id = randomBytes(2).readUInt16BE(0);
    const socket = dgram.createSocket(isIP(address) === 6 ? "udp6" : "udp4");
    try {
      return await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer from ${server.host}:${server.port} within ${timeoutMs} ms`)), timeoutMs);
        socket.on("error", (err) => (clearTimeout(timer), reject(err)));
        socket.on("message", (msg) => {
          try {
            const serial = soaSerial(msg, id);
            clearTimeout(timer);
            resolve(serial);
          } catch (err) {
            if ((err as Error).message === "answer does not match the question") return;
            clearTimeout(timer);
            reject(err);
          }
        });
        socket.send(soaQuery(zone, id), server.port, address);
      });
    } catch (err) {
      last = err as Error;
      if (!/^no answer/.test(last.message)) throw last;
    } finally {
      socket.close();
    }
  }
  throw last;
}

/** What a DNS server said of one zone: its SOA serial, or why there is none. */
export type Served = { serial: number } | { error: string };

/** Every zone's served serial, asked all at once, each bounded in time; never throws. */
export async function servedSerials(server: Server, zones: readonly string[], timeoutMs = 3000, tries = 2): Promise<Map<string, Served>> {
  const answers = await Promise.all(zones.map(async (z): Promise<[string, Served]> => querySerial(server, z, timeoutMs, tries).then((serial) => [z, { serial }], (err: Error) => [z, { error: err.message }])));
  return new Map(answers);
}

import { isIPv4, isIPv6 } from "node:net";

/** An IPv4 address (already checked by isIPv4) as a 32-bit number; digit by digit, with no strings made. */
function v4(ip: string): number {
  let n = 0;
  let octet = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      n = n * 256 + octet;
      octet = 0;
    } else octet = octet * 10 + (c - 48);
  }
  return n * 256 + octet;
}
/** An IPv4 network, its base address reckoned once: a thousand-edge list asks each network a thousand times. */
const v4net = (base: string, bits: number) => ({ prefix: Math.floor(v4(base) / 2 ** (32 - bits)), unit: 2 ** (32 - bits) });
type V4Net = ReturnType<typeof v4net>;
const inV4 = (ip: number, net: V4Net): boolean => Math.floor(ip / net.unit) === net.prefix;
const THIS_NETWORK = v4net("0.0.0.0", 8);
const MULTICAST = v4net("224.0.0.0", 4);
const RESERVED = v4net("240.0.0.0", 4);
const LOOPBACK = v4net("127.0.0.0", 8);
const PRIVATE = [v4net("10.0.0.0", 8), v4net("172.16.0.0", 12), v4net("192.168.0.0", 16), v4net("169.254.0.0", 16), v4net("100.64.0.0", 10)];

/** The address in the one form inet_ntop prints (IPv6 compressed and lowercase); null when it is none. */
export function canonicalIp(text: string): string | null {
  if (isIPv4(text)) return text;
  if (!isIPv6(text) || text.includes("%")) return null;
  // The URL parser prints RFC 5952 form: lowercase, longest zero run compressed.
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

/** Why an address can never be served to a client as an edge; null when it can. */
export function unservable(text: string): string | null {
  if (text.includes("%")) return "an IPv6 address with a zone id is only meaningful on one host";
  const ip = canonicalIp(text);
  if (ip === null) return "not an IP address";
  if (isIPv4(ip)) {
    const n = v4(ip);
    if (inV4(n, THIS_NETWORK)) return "0.0.0.0/8 is 'this network', not a host";
    if (ip === "255.255.255.255") return "the broadcast address is not a host";
    if (inV4(n, MULTICAST)) return "a multicast address is not a host";
    if (inV4(n, RESERVED)) return "240.0.0.0/4 is reserved";
    return null;
  }
  if (ip === "::") return ":: is the unspecified address, not a host";
  if (ip.startsWith("ff")) return "a multicast address is not a host";
  if (/^::ffff:/.test(ip)) return "an IPv4-mapped IPv6 address: list the IPv4 address itself";
  if (/^fe[89ab]/.test(ip)) return "a link-local address is only meaningful on one link";
  return null;
}

/** Addresses that work but are unusual for an edge clients reach: worth a warning. */
export function unusualKind(ip: string): "loopback" | "private" | null {
  if (isIPv4(ip)) {
    const n = v4(ip);
    if (inV4(n, LOOPBACK)) return "loopback";
    if (PRIVATE.some((net) => inV4(n, net))) return "private";
    return null;
  }
  const c = canonicalIp(ip) ?? ip;
  if (c === "::1") return "loopback";
  if (/^f[cd]/.test(c)) return "private";
  return null;
}

/**
 * Names the resolver would read as an IPv4 address in another form (inet_aton: `0x7f.0.88.1`, `127.1`,
 * octal `0177.0.0.1`): each label a number in decimal, hex or octal.
 */
export const looksNumeric = (name: string): boolean => name.replace(/\.$/, "").split(".").every((label) => /^(0x[0-9a-f]*|\d+)$/i.test(label));

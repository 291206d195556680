import { isIPv4, isIPv6 } from "node:net";

/** An IPv4 address as a 32-bit number. */
const v4 = (ip: string): number => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
const inV4 = (ip: string, base: string, bits: number): boolean => Math.floor(v4(ip) / 2 ** (32 - bits)) === Math.floor(v4(base) / 2 ** (32 - bits));

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
    if (inV4(ip, "0.0.0.0", 8)) return "0.0.0.0/8 is 'this network', not a host";
    if (ip === "255.255.255.255") return "the broadcast address is not a host";
    if (inV4(ip, "224.0.0.0", 4)) return "a multicast address is not a host";
    if (inV4(ip, "240.0.0.0", 4)) return "240.0.0.0/4 is reserved";
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
    if (inV4(ip, "127.0.0.0", 8)) return "loopback";
    if (inV4(ip, "10.0.0.0", 8) || inV4(ip, "172.16.0.0", 12) || inV4(ip, "192.168.0.0", 16) || inV4(ip, "169.254.0.0", 16) || inV4(ip, "100.64.0.0", 10)) return "private";
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

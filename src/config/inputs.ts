import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { OperatorError, errorMessage } from "../util/errors.js";
import { CanaryFileSchema, isIpAddress } from "./schema.js";

const HOSTNAME_RE = /^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/;

export interface Problem {
  file: string;
  message: string;
}

/** One host per line; blank lines and `#` comments ignored; duplicates dropped, first occurrence wins. */
export function parseEdgeList(text: string, file: string): { edges: string[]; problems: Problem[] } {
  const edges: string[] = [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    const host = line.replace(/#.*/, "").trim();
    if (!host) return;
    if (!isIpAddress(host) && !HOSTNAME_RE.test(host)) {
      problems.push({ file, message: `line ${i + 1}: '${host}' is neither a host name nor an IP address; skipped` });
      return;
    }
    // `999.1.1.1` matches the host-name pattern, but no top-level domain is all digits (RFC 3696 §2).
    if (!isIpAddress(host) && host.replace(/\.$/, "").split(".").every((label) => /^\d+$/.test(label))) {
      problems.push({ file, message: `line ${i + 1}: '${host}' is neither a valid IPv4 address nor a host name (every label is numeric); skipped` });
      return;
    }
    const key = host.toLowerCase();
    if (seen.has(key)) return;
    seen.add(key);
    edges.push(host);
  });
  return { edges, problems };
}

/** The main list must exist; the extra list (`extra_edgelist_dir`) is used when present. */
export function readEdgeLists(files: string[]): { edges: string[]; problems: Problem[] } {
  const chunks: string[] = [];
  files.forEach((file, i) => {
    try {
      chunks.push(readFileSync(file, "utf8"));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (i > 0 && code === "ENOENT") return;
      throw new OperatorError(`${file}: cannot read the edge list (${errorMessage(err)}); create it or fix edgelist_dir`, 2);
    }
  });
  return parseEdgeList(chunks.join("\n"), files.join(" + "));
}

/** A domain name as a zone's name (RFC 1035 letters, digits and hyphens; 63 per label, 253 in all). */
const DOMAIN_RE = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export const isDomainName = (name: string): boolean => DOMAIN_RE.test(name);

/** Include files are at most this large: a zone's own records, not a data dump. */
const MAX_INCLUDE_BYTES = 4 * 1024 * 1024;

/**
 * An operator's text file: a regular file (a FIFO or device would block the run), bounded in size,
 * valid UTF-8 (bytes that are not would be published as U+FFFD). Errors name the file and the key.
 */
export function readTextInput(file: string, key: string, maxBytes: number): string {
  let bytes: Buffer;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error(st.isDirectory() ? "it is a folder" : "not a regular file");
    if (st.size > maxBytes) throw new Error(`${st.size} bytes, more than the ${maxBytes} allowed`);
    bytes = readFileSync(file);
  } catch (err) {
    throw new OperatorError(`${file}: cannot read it (${errorMessage(err)}); fix ${key}`, 2);
  }
  const text = bytes.toString("utf8");
  if (Buffer.byteLength(text) === bytes.length && Buffer.from(text).equals(bytes)) return text;
  // Invalid bytes decode to U+FFFD and so do not encode back to themselves: the first such line.
  let start = 0;
  for (let line = 1; ; line++) {
    const end = bytes.indexOf(0x0a, start);
    const chunk = bytes.subarray(start, end === -1 ? bytes.length : end);
    if (!Buffer.from(chunk.toString("utf8")).equals(chunk)) throw new OperatorError(`${file}: line ${line} is not valid UTF-8; save the file as UTF-8 (${key})`, 2);
    start = end + 1;
  }
}

/** `zonetemplate_dir/<dnet>/<domain>.zone` → domain → include text. */
export function readZoneIncludes(dir: string): Map<string, string> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".zone")).sort();
  } catch (err) {
    throw new OperatorError(`${dir}: cannot list zone include files (${errorMessage(err)}); fix zonetemplate_dir`, 2);
  }
  const out = new Map<string, string>();
  for (const name of names) {
    const domain = name.slice(0, -".zone".length);
    // A name such as `-v` would reach named-checkzone as an option: refused here (and `--` is passed too).
    if (!isDomainName(domain)) throw new OperatorError(`${join(dir, name)}: '${domain}' is not a domain name (letters, digits and '-' in dot-separated labels, no leading '-'); rename the include file (zonetemplate_dir)`, 2);
    out.set(domain, readTextInput(join(dir, name), "the include file in zonetemplate_dir", MAX_INCLUDE_BYTES));
  }
  return out;
}

/** Canary file: YAML mapping zone → IP. Entries whose value is not an IP address are dropped with a problem. */
export function parseCanaries(text: string, file: string): { canaries: Map<string, string>; problems: Problem[] } {
  const problems: Problem[] = [];
  const canaries = new Map<string, string>();
  let raw: unknown;
  try {
    raw = yaml.load(text, { filename: file });
  } catch (err) {
    return { canaries, problems: [{ file, message: `not valid YAML, no canaries used: ${errorMessage(err).split("\n")[0]}` }] };
  }
  const parsed = CanaryFileSchema.safeParse(raw);
  if (!parsed.success) return { canaries, problems: [{ file, message: "expected a mapping of zone name to IP address; no canaries used" }] };
  for (const [zone, value] of Object.entries(parsed.data ?? {})) {
    const ip = typeof value === "string" ? value.trim() : String(value);
    if (!isIpAddress(ip)) {
      problems.push({ file, message: `canary for ${zone} is invalid: '${ip}' is not an IP address; not using it` });
      continue;
    }
    canaries.set(zone, ip);
  }
  return { canaries, problems };
}

export function readCanaries(file: string | null): { canaries: Map<string, string>; problems: Problem[] } {
  if (!file) return { canaries: new Map(), problems: [] };
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { canaries: new Map(), problems: [] };
    return { canaries: new Map(), problems: [{ file, message: `cannot read canary file: ${errorMessage(err)}` }] };
  }
  return parseCanaries(text, file);
}

import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { OperatorError, errorMessage } from "../util/errors.js";
import { canonicalIp, looksNumeric, unservable, unusualKind } from "../core/ip.js";
import { CanaryFileSchema, isIpAddress } from "./schema.js";
import { readTextInput } from "./text-input.js";

/** A host name: labels start and end with a letter or digit (so no `__proto__`, no `_service` label). */
const HOSTNAME_RE = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/;

export interface Problem {
  file: string;
  message: string;
}

/** What reading edge lists found: the edges, lines skipped (errors) and things worth a warning. */
export interface EdgeList {
  edges: string[];
  problems: Problem[];
  warnings: Problem[];
}

/** The most lines one edge list may have: far above any fleet, low enough to bound a run. */
const MAX_EDGE_LIST_BYTES = 4 * 1024 * 1024;

/**
 * One host per line; blank lines and `#` comments ignored. An address is kept in its canonical form.
 * Refused (exit 2, every offending line named): an address no client can be served (0.0.0.0, ::,
 * multicast, broadcast, a zone id, v4-mapped, link-local), and one address written twice in different
 * forms. Skipped with an error, as the classic tool did: a line that is neither a host name nor an
 * address. The same line twice is kept once, with a warning.
 */
export function parseEdgeLists(sources: readonly { file: string; text: string }[]): EdgeList {
  const out: EdgeList = { edges: [], problems: [], warnings: [] };
  const refusals: string[] = [];
  // Where a line is, written out only for a message: lists of thousands of edges are read every run.
  const at = (file: string, i: number) => `${file} line ${i + 1}`;
  const seen = new Map<string, { file: string; i: number; host: string }>();
  // Per kind: how many, and the first three (all the warning names).
  const unusual = new Map<string, { count: number; first: string[] }>();
  for (const { file, text } of sources) {
    text.split(/\r?\n/).forEach((line, i) => {
      const host = line.replace(/#.*/, "").trim();
      if (!host) return;
      const ip = canonicalIp(host);
      if (host.includes("%") || (ip !== null && unservable(ip) !== null)) return void refusals.push(`${at(file, i)}: '${host}' cannot be an edge (${unservable(host)})`);
      // `999.1.1.1` or `0x7f.0.0.1`: no top-level domain is numeric (RFC 3696 §2), and the resolver would read some as an address.
      if (ip === null && (!HOSTNAME_RE.test(host) || looksNumeric(host))) {
        out.problems.push({ file, message: `line ${i + 1}: '${host}' is neither a host name nor an IP address in standard form; skipped` });
        return;
      }
      const key = ip ?? host.toLowerCase().replace(/\.$/, "");
      const first = seen.get(key);
      if (first !== undefined) {
        // The same line again is harmless; the same address written another way is a mistake to fix.
        if (first.host.toLowerCase() === host.toLowerCase()) out.warnings.push({ file, message: `line ${i + 1}: '${host}' is listed again (first at ${at(first.file, first.i)}); counted once` });
        else refusals.push(`${at(file, i)}: '${host}' is ${at(first.file, first.i)}: '${first.host}' again; list each edge once`);
        return;
      }
      seen.set(key, { file, i, host });
      const kind = ip === null ? null : unusualKind(ip);
      if (kind) {
        const u = unusual.get(kind) ?? unusual.set(kind, { count: 0, first: [] }).get(kind)!;
        if (u.count++ < 3) u.first.push(`${at(file, i)}: ${ip}`);
      }
      out.edges.push(ip ?? host);
    });
  }
  // One line per kind, however many: a test fleet on loopback is one warning, not a thousand.
  for (const [kind, u] of unusual) out.warnings.push({ file: sources[0]?.file ?? "", message: `${u.count} ${kind} address(es) that clients elsewhere cannot reach: ${u.first.join(", ")}${u.count > 3 ? ", …" : ""}` });
  if (refusals.length) throw new OperatorError(`edge list: ${refusals.slice(0, 10).join("; ")}${refusals.length > 10 ? `; and ${refusals.length - 10} more` : ""}; fix the edge list (edgelist_dir)`, 2);
  return out;
}

/** The main list must exist; the extra list (`extra_edgelist_dir`) is used when present. */
export function readEdgeLists(files: string[]): EdgeList {
  const sources = files.flatMap((file, i) => {
    if (i > 0 && !existsSync(file)) return [];
    return [{ file, text: readTextInput(file, i === 0 ? "edgelist_dir" : "extra_edgelist_dir", MAX_EDGE_LIST_BYTES) }];
  });
  return parseEdgeLists(sources);
}

/** A domain name as a zone's name (RFC 1035 letters, digits and hyphens; 63 per label, 253 in all). */
const DOMAIN_RE = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export const isDomainName = (name: string): boolean => DOMAIN_RE.test(name);

/** Include files are at most this large: a zone's own records, not a data dump. */
const MAX_INCLUDE_BYTES = 4 * 1024 * 1024;

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
    const why = isIpAddress(ip) ? unservable(ip) : "not an IP address";
    if (why !== null) {
      problems.push({ file, message: `canary for ${zone} is invalid: '${ip}' is ${why === "not an IP address" ? why : `no address to publish (${why})`}; not using it` });
      continue;
    }
    canaries.set(zone, canonicalIp(ip)!);
  }
  return { canaries, problems };
}

export function readCanaries(file: string | null): { canaries: Map<string, string>; problems: Problem[] } {
  if (!file || !existsSync(file)) return { canaries: new Map(), problems: [] };
  let text: string;
  try {
    text = readTextInput(file, "canary_files", MAX_INCLUDE_BYTES);
  } catch (err) {
    return { canaries: new Map(), problems: [{ file, message: `${errorMessage(err)}; no canaries used` }] };
  }
  return parseCanaries(text, file);
}

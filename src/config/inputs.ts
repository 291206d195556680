import { readFileSync, readdirSync } from "node:fs";
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

/** `zonetemplate_dir/<dnet>/<domain>.zone` → domain → include text. */
export function readZoneIncludes(dir: string): Map<string, string> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".zone")).sort();
  } catch (err) {
    throw new OperatorError(`${dir}: cannot list zone include files (${errorMessage(err)}); fix zonetemplate_dir`, 2);
  }
  const out = new Map<string, string>();
  for (const name of names) out.set(name.slice(0, -".zone".length), readFileSync(join(dir, name), "utf8"));
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

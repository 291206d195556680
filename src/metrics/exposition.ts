/**
 * The text exposition format, by metric family. A run replaces the families it reports and keeps
 * the others: a failed run must not wipe the last success timestamp, nor the edges' series when it
 * failed before probing. (The Pushgateway does the same for a POST.)
 */
export function families(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const name = line.startsWith("#") ? line.split(" ")[2] : /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (!name) continue;
    out.set(name, [...(out.get(name) ?? []), line]);
  }
  return out;
}

export function mergeExposition(previous: string, current: string): string {
  const merged = families(previous);
  for (const [name, lines] of families(current)) merged.set(name, lines);
  return [...merged.keys()]
    .sort()
    .map((n) => `${merged.get(n)!.join("\n")}\n`)
    .join("");
}

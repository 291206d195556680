import assert from "node:assert/strict";
import { decide } from "../../src/core/decide.js";
import { DEFAULT_LIMITS } from "../../src/core/history.js";
import { families } from "../../src/metrics/exposition.js";
import { buildRegistry } from "../../src/metrics/registry.js";
import { newReport } from "../../src/metrics/report.js";
import { emptyState } from "../../src/core/state.js";
import { requireTool, run } from "./tools.js";

const NOW = 1_800_000_000;

/** promtool's linter on an exposition text. */
export async function promtoolCheck(text: string): Promise<void> {
  requireTool("promtool", "prometheus");
  const r = await run("promtool", ["check", "metrics"], { input: text });
  assert.equal(r.code, 0, `promtool check metrics: ${r.stdout}${r.stderr}`);
}

/** Sample lines of one family, as `labels value`, sorted. */
export function samples(text: string, name: string): string[] {
  return (families(text).get(name) ?? []).filter((l) => !l.startsWith("#")).map((l) => l.slice(name.length)).sort();
}

/** Every metric name the program can emit: a run that got everywhere (decision, zones, canaries). */
export async function emittedNames(): Promise<Set<string>> {
  const report = newReport("net");
  const observations = new Map([["192.0.2.1", { seconds: 0.1, outcome: "ok" as const }]]);
  report.observations = observations;
  report.decision = decide({ now: NOW, edges: ["192.0.2.1"], canaries: new Map(), observations, previous: emptyState("net"), settings: { edgeCount: 1, goodenough: 0.5, failValue: 10, maxChangesPer10Min: 10, canaryKiller: 3, limits: DEFAULT_LIMITS } });
  report.zones = [];
  report.writtenSerials = new Map([["example.com", 1]]);
  report.served = new Map([["example.com", { serial: 1 }]]);
  report.signedUntil = new Map([["example.com", NOW + 86_400]]);
  return new Set(families(await buildRegistry(report, { now: NOW, durationSeconds: 1, exitCode: 0 }).metrics()).keys());
}


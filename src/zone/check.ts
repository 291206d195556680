import { accessSync, constants, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { ZoneCheckMode } from "../config/schema.js";
import { OperatorError } from "../util/errors.js";
import { mapPerCore, runProgram, withTempDir } from "../util/exec.js";
import type { ZonePlan } from "./render.js";


export type ZoneCheckResult = { ok: true } | { ok: false; message: string };

/** Checks one rendered zone before it is written. */
export interface ZoneChecker {
  readonly program: string;
  check(domain: string, text: string): Promise<ZoneCheckResult>;
}

const PROGRAM = "named-checkzone";

/** The program on PATH, as a shell would find it; null when absent. */
export function findOnPath(program: string, path = process.env.PATH ?? ""): string | null {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return null;
}

/**
 * The checker's own words, without the file name (a temp file) and the closing "not loaded" line,
 * so the operator reads what bind objects to.
 */
export function checkerMessage(output: string, file: string): string {
  const lines = output
    .split("\n")
    .map((l) => l.replaceAll(file, "<zone>").trim())
    .filter((l) => l && !/^zone .* not loaded due to errors\.$/.test(l));
  return lines.join("; ") || "rejected without a message";
}

/**
 * `named-checkzone` with the checks named applies when it loads a primary zone (names checked as
 * `fail`, in-zone integrity only: `-i local` never looks anything up outside the zone).
 */
export function namedCheckzone(program: string): ZoneChecker {
  return {
    program,
    check: (domain, text) =>
      withTempDir("edgemanage-check-", async (dir): Promise<ZoneCheckResult> => {
        const file = join(dir, `${domain}.zone`);
        writeFileSync(file, text);
        const r = await runProgram(program, ["-k", "fail", "-i", "local", "--", domain, file], 30_000);
        return r.ok ? { ok: true } : { ok: false, message: checkerMessage(`${r.stdout}\n${r.stderr}`, file) || (r.error ?? "") };
      }),
  };
}

/** `auto` checks when the program is present; `always` insists on it; `never` writes unchecked. */
export function zoneCheckerFor(mode: ZoneCheckMode, configPath: string, path = process.env.PATH): ZoneChecker | null {
  if (mode === "never") return null;
  const program = findOnPath(PROGRAM, path);
  if (program) return namedCheckzone(program);
  if (mode === "always") {
    throw new OperatorError(`${configPath}: zone_check is 'always' but ${PROGRAM} is not on PATH; install bind9-utils (Debian) or set zone_check: auto`, 2);
  }
  return null;
}

/**
 * Checks every zone that is to be written; a zone the checker refuses is not written (its previous
 * file stays in place and bind keeps serving it) and carries the checker's message.
 */
export async function checkPlans(plans: readonly ZonePlan[], checker: ZoneChecker | null): Promise<ZonePlan[]> {
  // One checker per core at a time: 200 zones written took 200 checks in a row. Probing is over, or has
  // gone quiet when the plan is made ahead (run/ahead.ts).
  return mapPerCore(plans, async (p) => {
    if (!checker || !p.write) return p;
    const r = await checker.check(p.domain, p.text);
    return r.ok ? p : { ...p, write: false, refused: r.message, reason: `refused by named-checkzone: ${r.message}; its previous file stays in place` };
  });
}

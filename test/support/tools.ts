import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const CLI = fileURLToPath(new URL("../../bundle/cli/main.js", import.meta.url));
/** node's flags for the CLI, from its first line (#!/usr/bin/env -S node FLAGS): run as installed. */
export const NODE_FLAGS = readFileSync(CLI, "utf8").split("\n", 1)[0]!.replace(/^#!\/usr\/bin\/env -S node ?/, "").split(" ").filter(Boolean);

/**
 * Tests need real tools (bind9, buildah, helm). In CI a missing tool is a failure, never a skip:
 * this throws with the package to install.
 */
export function requireTool(cmd: string, pkg: string): string {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} is not installed: install the Debian package ${pkg} (.ci/run does)`);
  return r.stdout.trim();
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the event loop (the test process also serves the edges). */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("error", reject);
    // A child that exits without reading its input (mount, a failing tool) must not fail the test with EPIPE.
    child.stdin.on("error", () => {});
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? "");
  });
}

/**
 * The CLI as the suite's some 250 runs start it: the bundle under plain node. Its V8 flags (NODE_FLAGS)
 * size the collector for thousands of probes at once and change nothing a test observes, while any V8
 * flag costs node its own modules' code cache: 40–80 ms of CPU a run, more for one that loads the AWS
 * SDK, some 20 s of the suite's CPU in all. The runs that are about the flags start node with them: the
 * image's entry point, the chart's pods, the signal tests, the benchmark.
 */
export function runCli(args: string[], env?: NodeJS.ProcessEnv): Promise<Ran> {
  return run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
}

/** The CLI exactly as installed, node's flags from its first line: what the benchmarks time. */
export function runInstalled(args: string[], env?: NodeJS.ProcessEnv): Promise<Ran> {
  return run(process.execPath, [...NODE_FLAGS, CLI, ...args], { env: { ...process.env, ...env } });
}

/** Validates a zone file with bind's own checker. */
export async function checkZone(zone: string, file: string): Promise<Ran> {
  requireTool("named-checkzone", "bind9-utils");
  return run("named-checkzone", ["-k", "fail", "-i", "full", zone, file]);
}

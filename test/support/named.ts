import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireTool, run } from "./tools.js";

/** The answer's records, sorted, as `dig +short` prints them, from a server on a loopback port. */
export async function dig(port: number, name: string, type: string): Promise<string[]> {
  requireTool("dig", "bind9-dnsutils");
  const r = await run("dig", ["@127.0.0.1", "-p", String(port), "+short", "+norecurse", "+time=2", "+tries=1", name, type]);
  if (r.code !== 0) throw new Error(`dig failed: ${r.stdout}${r.stderr}`);
  return r.stdout.trim().split("\n").filter(Boolean).sort();
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** A real bind `named` on a loopback port, serving zone files from a folder, reloadable with rndc. */
export class Named {
  private constructor(
    readonly port: number,
    readonly controlPort: number,
    readonly keyFile: string,
    private readonly proc: ChildProcess,
    readonly log: () => string,
  ) {}

  /**
   * named cannot listen on port 0 and report the port: two free ports are picked, and should another
   * program take one first (named then fails to bind and exits), it starts again on two others.
   */
  static async start(zones: { name: string; file: string }[] | string, include?: string): Promise<Named> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await Named.startOnce(zones, include);
      } catch (err) {
        if (attempt >= 3 || !/address in use|exited/.test((err as Error).message)) throw err;
      }
    }
  }

  /** `zones`: primary zones from files, or named.conf zone statements as text (a secondary); `include`: a file of keys. */
  private static async startOnce(zones: { name: string; file: string }[] | string, include?: string): Promise<Named> {
    requireTool("named", "bind9");
    requireTool("rndc-confgen", "bind9-utils");
    const dir = mkdtempSync(join(tmpdir(), "em-named-"));
    const [port, controlPort] = [await freePort(), await freePort()];
    const keyFile = join(dir, "rndc.key");
    const gen = await run("rndc-confgen", ["-a", "-k", "rndc-key", "-c", keyFile]);
    if (gen.code !== 0) throw new Error(`rndc-confgen: ${gen.stderr}`);
    const conf = join(dir, "named.conf");
    writeFileSync(
      conf,
      `include "${keyFile}";
${include ? `include "${include}";` : ""}
options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  managed-keys-directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
};
controls { inet 127.0.0.1 port ${controlPort} allow { 127.0.0.1; } keys { "rndc-key"; }; };
${typeof zones === "string" ? zones.replaceAll("{dir}", dir) : zones.map((z) => `zone "${z.name}" { type primary; file "${z.file}"; };`).join("\n")}
`,
    );
    const proc = spawn("named", ["-g", "-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    proc.stdout!.on("data", (d) => (log += d));
    proc.stderr!.on("data", (d) => (log += d));
    const named = new Named(port, controlPort, keyFile, proc, () => log);
    // Not "running as: …", printed at start-up: the "running" line that follows loading the zones.
    const ready = /all zones loaded[\s\S]*\brunning\b/;
    for (let i = 0; i < 100 && !ready.test(log); i++) {
      if (proc.exitCode !== null) throw new Error(`named exited: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!ready.test(log)) throw new Error(`named did not start: ${log}`);
    return named;
  }

  /** The arguments of an rndc command that reaches this server: usable as a run_after_changes hook. */
  rndc(...args: string[]): string {
    return ["rndc", "-s", "127.0.0.1", "-p", String(this.controlPort), "-k", this.keyFile, ...args].join(" ");
  }

  dig(name: string, type: string): Promise<string[]> {
    return dig(this.port, name, type);
  }

  async stop(): Promise<void> {
    this.proc.kill("SIGTERM");
    await new Promise((r) => (this.proc.exitCode !== null ? r(null) : this.proc.once("exit", r)));
  }
}

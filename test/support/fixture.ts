import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yaml from "js-yaml";
import { decodeState } from "../../src/state/codec.js";
import type { NetworkState } from "../../src/core/state.js";
import { type Ran, runCli, runInstalled } from "./tools.js";

export const TEST_OBJECT = Buffer.from("edgemanage test object\n".repeat(200));

export interface FixtureOptions {
  dnet?: string;
  edges: string[];
  port: number;
  zones?: Record<string, string>;
  config?: Record<string, unknown>;
  canaries?: Record<string, string>;
  /** Runs start the CLI with node's flags, as installed (runInstalled): the benchmarks'. */
  installed?: boolean;
}

/** A classic-shaped edgemanage installation in a temp folder: config, edge list, include files, object. */
export class Fixture {
  readonly dir: string;
  readonly dnet: string;
  readonly configPath: string;

  constructor(readonly opts: FixtureOptions) {
    this.dir = mkdtempSync(join(tmpdir(), "edgemanage-test-"));
    this.dnet = opts.dnet ?? "testnet";
    this.configPath = join(this.dir, "edgemanage.yaml");
    for (const d of ["edges", `zones/${this.dnet}`, "named", "state", "health", "canaries"]) mkdirSync(join(this.dir, d), { recursive: true });
    writeFileSync(join(this.dir, "object.edgemanage"), TEST_OBJECT);
    this.setEdges(opts.edges);
    const zones = opts.zones ?? { "example.com": "mail\tIN\tA\t192.0.2.25\n@\tIN\tMX\t10 mail\n" };
    for (const [domain, text] of Object.entries(zones)) this.setInclude(domain, text);
    if (opts.canaries) this.setCanaries(opts.canaries);
    this.writeConfig(opts.config ?? {});
  }

  writeConfig(overrides: Record<string, unknown>): void {
    const config = {
      testobject: { host: "test.example.org", port: this.opts.port, proto: "http", uri: "/edgemanage.object", local: "object.edgemanage", verify: false },
      dns: { ns_records: ["ns1.example.net.", "ns2.example.net."], soa_nameserver: "ns1.example.net.", soa_mailbox: "hostmaster.example.net.", rotate_zones: ["www"] },
      run_frequency: 60,
      healthdata_store: "health",
      edgelist_dir: "edges",
      dnschange_maxfreq: 10,
      retry: 2,
      goodenough: 0.3,
      canary_killer: 3,
      statefile: "state/{dnet}.state",
      logpath: "edgemanage.log",
      lockfile: "edgemanage.lock",
      zonetemplate_dir: "zones",
      edge_count: 2,
      dnet_edge_count: {},
      named_dir: "named",
      live_list: "state/{dnet}.live",
      canary_files: "canaries/{dnet}",
      commands: { run_after_changes: null, run_after: null, run_before: null },
      timeout: 2,
      run_deadline: 10,
      ...overrides,
    };
    writeFileSync(this.configPath, yaml.dump(config));
  }

  setEdges(edges: string[]): void {
    writeFileSync(join(this.dir, "edges", this.dnet), `# edges of ${this.dnet}\n${edges.join("\n")}\n`);
  }

  setInclude(domain: string, text: string): void {
    writeFileSync(join(this.dir, "zones", this.dnet, `${domain}.zone`), text);
  }

  setCanaries(c: Record<string, string>): void {
    writeFileSync(join(this.dir, "canaries", this.dnet), yaml.dump(c));
  }

  path(...p: string[]): string {
    return join(this.dir, ...p);
  }

  run(...extra: string[]): Promise<Ran> {
    return (this.opts.installed ? runInstalled : runCli)(["-A", this.dnet, "-c", this.configPath, "--force", ...extra]);
  }

  zone(domain = "example.com"): string | null {
    const f = this.path("named", `${domain}.zone`);
    return existsSync(f) ? readFileSync(f, "utf8") : null;
  }

  /** A-record addresses at the apex of a written zone. */
  apexAddresses(domain = "example.com"): string[] {
    return (this.zone(domain) ?? "")
      .split("\n")
      .filter((l) => /^@\s+IN\s+(A|AAAA)\s/.test(l))
      .map((l) => l.split(/\s+/).at(-1)!)
      .sort();
  }

  liveList(): string[] | null {
    const f = this.path("state", `${this.dnet}.live`);
    return existsSync(f) ? readFileSync(f, "utf8").trim().split("\n").sort() : null;
  }

  state(): NetworkState {
    return decodeState(readFileSync(this.path("state", `${this.dnet}.state`), "utf8"));
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

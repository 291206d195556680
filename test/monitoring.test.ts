import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import yaml from "js-yaml";
import { type K8sObject, byKind, named, template } from "./support/k8s.js";
import { emittedNames } from "./support/metrics.js";
import { ROOT, requireTool, run } from "./support/tools.js";

/** The chart's rules, rendered for the networks the promtool tests write series for. */
async function renderedRules(dir: string): Promise<string> {
  const values = yaml.load(readFileSync(join(ROOT, "test/helm/monitoring.yaml"), "utf8")) as Record<string, unknown>;
  const networks = Object.fromEntries(["ok", "bad", "stale", "silent"].map((n) => [n, { edges: ["192.0.2.1"], zones: { [`${n}.example`]: "" } }]));
  const objs = await template([{ ...values, networks }]);
  const file = join(dir, "rules.yml");
  writeFileSync(file, yaml.dump((named(objs, "PrometheusRule", "em-edgemanage") as unknown as { spec: unknown }).spec));
  return file;
}
const DASHBOARD = join(ROOT, "helm/edgemanage/files/dashboard.json");

/** Metric names a PromQL expression refers to (identifiers that are not functions, keywords or labels). */
function metricNames(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, "").replace(/\b(by|on|without|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
  return [...withoutLabels.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map((m) => m[1]!).filter((n) => n.startsWith("edgemanage_"));
}

interface Panel {
  title: string;
  targets: { expr: string }[];
}

describe("monitoring: alert rules, dashboard, the chart's monitoring objects", () => {
  test("promtool check rules and promtool test rules: every alert fires on its series and not on healthy ones, absence included", async () => {
    requireTool("promtool", "prometheus");
    const dir = mkdtempSync(join(tmpdir(), "em-rules-"));
    try {
      const rules = await renderedRules(dir);
      const check = await run("promtool", ["check", "rules", rules]);
      assert.equal(check.code, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /SUCCESS: 15 rules found/);
      copyFileSync(join(ROOT, "test/monitoring/rules.test.yml"), join(dir, "rules.test.yml"));
      const t = await run("promtool", ["test", "rules", join(dir, "rules.test.yml")]);
      assert.equal(t.code, 0, t.stdout + t.stderr);
      assert.match(t.stdout, /SUCCESS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("thresholds come from the values: latency from config.goodenough, the storm, certificates, staleness", async () => {
    const expr = async (values: Record<string, unknown>, alert: string) => {
      const objs = await template([join(ROOT, "test/helm/monitoring.yaml"), values]);
      const spec = (named(objs, "PrometheusRule", "em-edgemanage") as unknown as { spec: { groups: { rules: { alert: string; expr: string }[] }[] } }).spec;
      return spec.groups.flatMap((g) => g.rules).find((r) => r.alert === alert)!.expr;
    };
    assert.match(await expr({}, "EdgemanageLiveLatencyHigh"), /> 0\.7$/m, "config.goodenough");
    assert.match(await expr({ config: { goodenough: 0.4, testobject: { host: "h", uri: "/o" }, dns: { ns_records: ["ns1.example.net."], soa_nameserver: "ns1.example.net.", soa_mailbox: "h.example.net." } } }, "EdgemanageLiveLatencyHigh"), /> 0\.4$/m);
    assert.match(await expr({ metrics: { alerts: { latencySeconds: 2 } } }, "EdgemanageLiveLatencyHigh"), /> 2$/m);
    assert.match(await expr({ metrics: { alerts: { rotationsPerHour: 10 } } }, "EdgemanageRotationStorm"), />= 10$/);
    assert.match(await expr({ metrics: { alerts: { certWarnDays: 30 } } }, "EdgemanageCertificateExpiring"), /< 2592000$/);
    assert.match(await expr({ metrics: { alerts: { staleAfterSeconds: 900 } } }, "EdgemanageRunsStale"), /> 900$/);
    assert.equal(await expr({}, "EdgemanageNeverReported"), 'absent(edgemanage_last_run_timestamp_seconds{dnet="mynet"})');
  });

  test("every alert and every dashboard query names only metrics the program emits", async () => {
    const emitted = await emittedNames();
    const dir = mkdtempSync(join(tmpdir(), "em-rules-"));
    const rules = yaml.load(readFileSync(await renderedRules(dir), "utf8")) as { groups: { rules: { alert: string; expr: string }[] }[] };
    rmSync(dir, { recursive: true, force: true });
    const alerts = rules.groups.flatMap((g) => g.rules);
    assert.deepEqual(alerts.map((r) => r.alert).sort(), ["EdgemanageCanariesDisabled", "EdgemanageCertificateExpiring", "EdgemanageDnssecSignaturesExpiring", "EdgemanageGuardFrozen", "EdgemanageLiveLatencyHigh", "EdgemanageLiveSetBelowWanted", "EdgemanageNeverReported", "EdgemanageRotationStorm", "EdgemanageRunsFailing", "EdgemanageRunsStale", "EdgemanageStateNotSaved", "EdgemanageVerificationFailures", "EdgemanageVerificationFailuresUnpublished", "EdgemanageZoneNotServed", "EdgemanageZonesRefused"]);
    for (const r of alerts) for (const n of metricNames(r.expr)) assert.ok(emitted.has(n), `${r.alert}: ${n} is not emitted`);
    const dash = JSON.parse(readFileSync(DASHBOARD, "utf8")) as { title: string; panels: Panel[] };
    assert.equal(dash.title, "edgemanage");
    assert.ok(dash.panels.length >= 5);
    for (const p of dash.panels) {
      assert.ok(p.targets.length > 0, p.title);
      for (const t of p.targets) {
        const names = metricNames(t.expr);
        assert.ok(names.length > 0, `${p.title}: ${t.expr}`);
        for (const n of names) assert.ok(emitted.has(n), `${p.title}: ${n} is not emitted`);
      }
    }
    for (const want of ["edgemanage_live_edges", "edgemanage_edge_window_mean_seconds", "edgemanage_edge_health", "edgemanage_live_set_changes_last_hour", "edgemanage_run_duration_seconds"]) {
      assert.ok(dash.panels.some((p) => p.targets.some((t) => t.expr.includes(want))), `the dashboard shows ${want}`);
    }
  });

  test("mode: deployment — a --daemonise Deployment per network, its metrics Service, a ServiceMonitor; no CronJob", async () => {
    const objs = await template([join(ROOT, "test/helm/monitoring.yaml")]);
    assert.equal(byKind(objs, "CronJob").length, 0);
    const d = named(objs, "Deployment", "em-edgemanage-mynet") as unknown as { spec: { strategy: { type: string }; template: { spec: { restartPolicy: string; containers: { args: string[]; ports: { containerPort: number }[]; livenessProbe: { httpGet: { path: string } } }[] } } } };
    assert.equal(d.spec.strategy.type, "Recreate");
    const pod = d.spec.template.spec;
    assert.equal(pod.restartPolicy, "Always");
    assert.deepEqual(pod.containers[0]!.args, ["-A", "mynet", "-c", "/etc/edgemanage/edgemanage.yaml", "--daemonise"]);
    assert.equal(pod.containers[0]!.livenessProbe.httpGet.path, "/healthz");
    const config = yaml.load((named(objs, "ConfigMap", "em-edgemanage-config") as unknown as { data: Record<string, string> }).data["edgemanage.yaml"]!) as { metrics: Record<string, string> };
    assert.deepEqual(config.metrics, { listen: "0.0.0.0:9464", pushgateway: "http://pushgateway.monitoring:9091", dns_server: "em-edgemanage-dns.dns.svc:53" });
    const svc = named(objs, "Service", "em-edgemanage-mynet-metrics");
    const sm = named(objs, "ServiceMonitor", "em-edgemanage") as unknown as { metadata: { labels: Record<string, string> }; spec: { selector: { matchLabels: Record<string, string> }; endpoints: { honorLabels: boolean }[] } };
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) assert.equal(svc.metadata.labels?.[k], v, `the ServiceMonitor selects the metrics Service (${k})`);
    assert.equal(sm.metadata.labels.release, "kube-prometheus-stack");
    assert.equal(sm.spec.endpoints[0]!.honorLabels, true);
  });

  test("the PrometheusRule carries the rendered rules and the dashboard ConfigMap the shipped dashboard", async () => {
    const objs = await template([join(ROOT, "test/helm/monitoring.yaml")]);
    const rule = named(objs, "PrometheusRule", "em-edgemanage") as unknown as { spec: { groups: { rules: { alert: string }[] }[] } };
    assert.equal(rule.spec.groups[0]!.rules.length, 15);
    const cm = named(objs, "ConfigMap", "em-edgemanage-dashboard") as K8sObject & { data: Record<string, string> };
    assert.equal(cm.metadata.labels?.grafana_dashboard, "1");
    assert.deepEqual(JSON.parse(cm.data["edgemanage.json"]!), JSON.parse(readFileSync(DASHBOARD, "utf8")));
    const off = await template([join(ROOT, "test/helm/s3-secret.yaml")]);
    assert.ok(!off.some((o) => ["PrometheusRule", "ServiceMonitor"].includes(o.kind) || o.metadata.name.endsWith("-dashboard")), "off by default");
  });
});

// The chart's PrometheusRule and Grafana dashboard, checked by Prometheus's own tools: `promtool check
// rules` parses every alert, `promtool test rules` (test/prometheus/alerts.rules-test.yaml) shows each
// alert firing on a synthetic unhealthy series and quiet on a healthy one, and every dashboard query
// parses as PromQL.
import { strict as assert } from 'node:assert';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { ALERTS, chartDir, renderChart, repoRoot, requireTool, run } from './chart-tools.js';

const work = mkdtempSync(join(tmpdir(), 'gatehouse-alerts-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Every metric family Gatehouse exports (src/metrics), plus the Node defaults the dashboard uses. */
const KNOWN_METRICS = new Set([
  'gatehouse_http_requests_total', 'gatehouse_http_request_duration_seconds_bucket', 'gatehouse_upstream_errors_total',
  'gatehouse_config_reloads_total', 'gatehouse_in_flight_requests', 'gatehouse_ready', 'gatehouse_hash_pool_size',
  'gatehouse_hash_pool_in_use', 'gatehouse_hash_pool_queue_depth', 'gatehouse_hash_pool_saturation',
  'gatehouse_hash_pool_rejected_total', 'gatehouse_hash_duration_seconds_bucket', 'gatehouse_audit_queue_depth',
  'gatehouse_audit_queue_capacity', 'gatehouse_audit_events_written_total', 'gatehouse_audit_events_dropped_total',
  'gatehouse_audit_flush_duration_seconds_bucket', 'gatehouse_session_cache_hits_total', 'gatehouse_session_cache_misses_total',
  'gatehouse_session_cache_entries', 'gatehouse_last_seen_writes_total', 'gatehouse_last_seen_skipped_total',
  'gatehouse_load_shed_total', 'gatehouse_login_attempts_total', 'gatehouse_webhook_queue_depth',
  'gatehouse_webhook_deliveries_total', 'nodejs_eventloop_lag_p99_seconds', 'process_resident_memory_bytes',
  'gatehouse_store_up', 'gatehouse_config_last_reload_success', 'gatehouse_change_feed_errors_total',
  'gatehouse_store_operation_duration_seconds_bucket', 'gatehouse_store_pool_in_use', 'gatehouse_store_pool_max',
  'gatehouse_store_pool_waiting', 'gatehouse_store_errors_total', 'gatehouse_build_info', 'gatehouse_config_info',
]);
const metricNames = (expr: string) => [...expr.matchAll(/\b((?:gatehouse|nodejs|process)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);

function renderRules(t: Parameters<typeof renderChart>[0]) {
  const r = renderChart(t, ['gateway-postgres.yaml'], { namespace: 'apps' });
  if (!r) return undefined;
  assert.ok(r.ok, r.stderr);
  const file = join(work, 'gatehouse-rules.yaml');
  const groups = r.get('PrometheusRule').spec.groups as Array<{ name: string; rules: Array<{ alert?: string; expr: string }> }>;
  writeFileSync(file, stringify({ groups }));
  return { file, groups };
}

describe('alerts', () => {
  test('promtool check rules accepts the rendered PrometheusRule', (t) => {
    const promtool = requireTool(t, 'promtool');
    if (!promtool) return;
    const rules = renderRules(t);
    if (!rules) return;
    const r = run(promtool, ['check', 'rules', rules.file]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${ALERTS.length} rules found`));
    for (const rule of rules.groups[0]!.rules) {
      for (const name of metricNames(rule.expr)) assert.ok(KNOWN_METRICS.has(name), `${rule.alert} uses unknown metric ${name}`);
    }
  });

  test('promtool test rules: each alert fires on its synthetic series and not on a healthy one', (t) => {
    const promtool = requireTool(t, 'promtool');
    if (!promtool) return;
    if (!renderRules(t)) return;
    const tests = join(work, 'alerts.rules-test.yaml');
    copyFileSync(join(repoRoot, 'test', 'prometheus', 'alerts.rules-test.yaml'), tests);
    const text = readFileSync(tests, 'utf8');
    for (const alert of ALERTS) {
      assert.ok(text.includes(`alertname: ${alert}, exp_alerts: []`), `${alert} has a quiet case`);
      assert.ok(new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`).test(text), `${alert} has a firing case`);
    }
    const r = run(promtool, ['test', 'rules', tests], { timeoutMs: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  test('every alert links its runbook, and docs/operations.md has that section', (t) => {
    const rules = renderRules(t);
    if (!rules) return;
    const doc = readFileSync(join(repoRoot, 'docs', 'operations.md'), 'utf8');
    const anchors = new Set([...doc.matchAll(/^#{2,4} (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
    const alerts = rules.groups[0]!.rules as unknown as Array<{ alert: string; annotations: Record<string, string> }>;
    assert.deepEqual(alerts.map((a) => a.alert), ALERTS);
    for (const a of alerts) {
      const anchor = a.alert.toLowerCase();
      assert.equal(a.annotations['runbook_url'], `docs/operations.md#${anchor}`, `${a.alert} links its runbook`);
      assert.ok(anchors.has(anchor), `docs/operations.md has a "### ${a.alert}" runbook section`);
    }
  });

  test('every dashboard query parses as PromQL and uses known metrics', (t) => {
    const promtool = requireTool(t, 'promtool');
    if (!promtool) return;
    const dash = JSON.parse(readFileSync(join(chartDir, 'dashboards', 'gatehouse.json'), 'utf8'));
    const exprs: string[] = [];
    for (const panel of dash.panels) for (const target of panel.targets ?? []) exprs.push(target.expr);
    assert.ok(exprs.length >= 15, `dashboard has ${exprs.length} queries`);
    // Grafana's variables replaced by values, each query checked as a recording rule.
    const rules = exprs.map((e, i) => ({
      record: `dashboard:query_${i}`,
      expr: e.replaceAll('$__rate_interval', '5m').replaceAll('$namespace', 'apps').replaceAll('$pod', '.*'),
    }));
    for (const rule of rules) for (const name of metricNames(rule.expr)) assert.ok(KNOWN_METRICS.has(name), `dashboard uses unknown metric ${name}`);
    const file = join(work, 'dashboard-queries.yaml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = run(promtool, ['check', 'rules', file]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});

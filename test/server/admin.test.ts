// The admin listener: /metrics (Prometheus text with the required families, bounded labels, and accepted by
// `promtool check metrics` when it is installed), /healthz, and /readyz through start, checks and drain.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  configObject, eventually, sample, scrape, send, startGatehouse, startUpstream, validConfig,
  type RunningGatehouse, type TestUpstream,
} from '../helpers/core-net.js';

let app: TestUpstream;
let gh: RunningGatehouse;

before(async () => {
  app = await startUpstream('app');
  gh = await startGatehouse(validConfig(configObject({ app: app.url }, [
    { name: 'pub', match: { path: '/pub/' }, policy: 'public', upstream: 'app' },
    { name: 'private', match: { path: '/private/' }, policy: 'authenticated', upstream: 'app' },
  ])));
  // Some traffic, so the labelled families have samples.
  await send(gh.port, { path: '/pub/secret-path-one?token=abc' });
  await send(gh.port, { path: '/pub/secret-path-two' });
  await send(gh.port, { method: 'PROPFIND', path: '/pub/x' });
  await send(gh.port, { path: '/private/x' });
  await send(gh.port, { path: '/unrouted-path-three' });
  await send(gh.port, { path: '/pub/%2f' });
});
after(async () => {
  await gh.close();
  await app.close();
});

describe('/metrics', () => {
  test('is Prometheus text with the required families and Node\'s default metrics', async () => {
    const r = await send(gh.adminPort, { path: '/metrics' });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    for (const [family, type] of [
      ['gatehouse_http_requests_total', 'counter'], ['gatehouse_http_request_duration_seconds', 'histogram'],
      ['gatehouse_upstream_errors_total', 'counter'], ['gatehouse_config_reloads_total', 'counter'],
      ['process_cpu_user_seconds_total', 'counter'], ['nodejs_heap_size_used_bytes', 'gauge'],
    ]) {
      const base = family.replace(/_total$/, '');
      assert.match(r.body, new RegExp(`^# TYPE (${family}|${base}) ${type}$`, 'm'), `${family} (${type}) is missing`);
    }
  });

  test('counts requests by route name, method and code', async () => {
    const metrics = await scrape(gh.adminPort);
    assert.equal(sample(metrics, 'gatehouse_http_requests_total', { route: 'pub', method: 'GET', code: '200' }), 2);
    assert.equal(sample(metrics, 'gatehouse_http_requests_total', { route: 'pub', method: 'OTHER', code: '200' }), 1);
    assert.equal(sample(metrics, 'gatehouse_http_requests_total', { route: 'private', method: 'GET', code: '401' }), 1);
    assert.equal(sample(metrics, 'gatehouse_http_requests_total', { route: '_none', method: 'GET', code: '404' }), 1);
    assert.equal(sample(metrics, 'gatehouse_http_requests_total', { route: '_invalid', method: 'GET', code: '400' }), 1);
    assert.equal(sample(metrics, 'gatehouse_http_request_duration_seconds_count', { route: 'pub' }), 3);
  });

  test('labels stay bounded: no raw path, query or method name leaks into them', async () => {
    const metrics = await scrape(gh.adminPort);
    const labelText = [...metrics.matchAll(/^[a-zA-Z_:][a-zA-Z0-9_:]*\{([^}]*)\}/gm)].map((m) => m[1]).join('\n');
    for (const leak of ['secret-path', 'unrouted-path', 'token=abc', 'PROPFIND', '%2f', '/pub/']) {
      assert.ok(!labelText.includes(leak), `${leak} appears in a /metrics label`);
    }
  });

  test('passes `promtool check metrics`', async (t) => {
    const which = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (which.error !== undefined) {
      if (process.env['CI'] === 'true') assert.fail('promtool is not installed, and CI=true requires this check (Debian package "prometheus")');
      console.warn('\n*** WARNING: promtool is not installed; SKIPPING `promtool check metrics` (install Debian package "prometheus") ***\n');
      t.skip('promtool is not installed');
      return;
    }
    const metrics = await scrape(gh.adminPort);
    const result = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8', timeout: 10_000 });
    assert.equal(result.status, 0, `promtool check metrics failed:\n${result.stdout}${result.stderr}`);
  });

  test('other methods and paths are refused', async () => {
    assert.equal((await send(gh.adminPort, { method: 'POST', path: '/metrics' })).status, 405);
    assert.equal((await send(gh.adminPort, { path: '/nope' })).status, 404);
    assert.equal((await send(gh.adminPort, { method: 'HEAD', path: '/healthz' })).status, 200);
  });
});

describe('/healthz and /readyz', () => {
  test('/healthz answers 200 while running', async () => {
    const r = await send(gh.adminPort, { path: '/healthz' });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { status: 'ok' });
  });

  test('/readyz answers 200 when running, and gatehouse_ready is 1', async () => {
    const r = await send(gh.adminPort, { path: '/readyz' });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { status: 'ready' });
    assert.equal(sample(await scrape(gh.adminPort), 'gatehouse_ready'), 1);
  });

  test('/readyz answers 503 naming a failing readiness check, and 200 again when it recovers', async () => {
    let healthy = false;
    gh.app.addReadinessCheck({ name: 'store', check: () => healthy });
    const r = await send(gh.adminPort, { path: '/readyz' });
    assert.equal(r.status, 503);
    assert.deepEqual(JSON.parse(r.body), { status: 'not_ready', failing: ['store'] });
    healthy = true;
    assert.equal((await send(gh.adminPort, { path: '/readyz' })).status, 200);
  });

  test('during stop(): /readyz 503 at once, /healthz still 200, traffic still served during drain_delay', { timeout: 10_000 }, async () => {
    const draining = await startGatehouse(validConfig(configObject({ app: app.url }, [{ name: 'all', policy: 'public', upstream: 'app' }],
      { server: { drain_delay: '600ms', grace_period: '1s' } })));
    try {
      assert.equal((await send(draining.adminPort, { path: '/readyz' })).status, 200);
      const stopped = draining.app.stop();
      const r = await send(draining.adminPort, { path: '/readyz' });
      assert.equal(r.status, 503);
      assert.deepEqual(JSON.parse(r.body), { status: 'not_ready', failing: ['lifecycle'] });
      assert.equal((await send(draining.adminPort, { path: '/healthz' })).status, 200);
      assert.equal((await send(draining.port, { path: '/x' })).status, 200, 'still serving during the drain delay');
      await eventually(5000, 'stop() to finish', async () => { await stopped; return true; });
      await assert.rejects(send(draining.port, { path: '/x', timeoutMs: 1000 }), /ECONNREFUSED/);
      await assert.rejects(send(draining.adminPort, { path: '/healthz', timeoutMs: 1000 }), /ECONNREFUSED/);
    } finally {
      await draining.close();
    }
  });
});

// /readyz?verbose names every check and reports the database's state without it deciding readiness; the store
// metrics (state, call latency by operation, pool gauges) follow real calls on every driver.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { sample, scrape, send, startUpstream, type TestUpstream } from '../helpers/core-net.js';

await describeEachDriver('readiness and store metrics', (driver, makeDatabase) => {
  let db: TestDatabase;
  let upstream: TestUpstream;
  let gh: FullGatehouse;
  before(async () => {
    db = await makeDatabase();
    upstream = await startUpstream('app');
    gh = await startFullGatehouse(db, { app: upstream.url }, [{ name: 'public', match: { path: '/' }, policy: 'public', upstream: 'app' }],
      { sessions: { cookie: { secure: false, name: 'gh_session' } }, auth: { local: { registration: 'open' } } });
  });
  after(async () => {
    await gh?.stop();
    await upstream?.close();
    await db?.drop();
  });

  test('plain /readyz is short; ?verbose adds the checks and the database state', async () => {
    const plain = await send(gh.adminPort, { path: '/readyz' });
    assert.equal(plain.status, 200);
    assert.deepEqual(JSON.parse(plain.body), { status: 'ready' });
    const verbose = await send(gh.adminPort, { path: '/readyz?verbose' });
    assert.equal(verbose.status, 200);
    const body = JSON.parse(verbose.body) as { status: string; checks: Record<string, string>; database: { state: string; driver: string; since: string; reason?: string } };
    assert.equal(body.status, 'ready');
    assert.equal(body.checks['lifecycle'], 'ok');
    assert.equal(body.checks['store'], undefined, 'the database is not a readiness check');
    assert.equal(body.database.state, 'up');
    assert.equal(body.database.driver, driver);
    assert.ok(!Number.isNaN(Date.parse(body.database.since)));
    assert.equal(body.database.reason, undefined);
  });

  test('store calls are timed by operation; the database and pool gauges are exported', async () => {
    const reg = await send(gh.port, {
      method: 'POST', path: '/.gatehouse/register', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'metrics@example.com', password: 'a long enough passphrase' }),
    });
    assert.equal(reg.status, 202, reg.body);
    const login = await send(gh.port, {
      method: 'POST', path: '/.gatehouse/login', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'metrics@example.com', password: 'a long enough passphrase' }),
    });
    assert.equal(login.status, 200, login.body);
    const metrics = await scrape(gh.adminPort);
    assert.equal(sample(metrics, 'gatehouse_store_up'), 1);
    // Registration creates the user in a transaction (with its verification link when there is mail).
    for (const operation of ['transaction', 'sessions.create']) {
      assert.ok((sample(metrics, 'gatehouse_store_operation_duration_seconds_count', { operation }) ?? 0) >= 1, `${operation} timed`);
    }
    assert.ok((sample(metrics, 'gatehouse_store_operation_duration_seconds_count', { operation: 'ping' }) ?? 0) >= 1, 'the monitor pinged');
    for (const kind of ['down', 'busy', 'other']) assert.equal(sample(metrics, 'gatehouse_store_errors_total', { kind }), 0);
    if (driver === 'sqlite') {
      assert.equal(sample(metrics, 'gatehouse_store_pool_max'), 0, 'SQLite has no pool');
    } else {
      assert.equal(sample(metrics, 'gatehouse_store_pool_max'), gh.config.storage[driver].pool_max);
      const open = sample(metrics, 'gatehouse_store_pool_open') ?? -1;
      assert.ok(open >= 1 && open <= gh.config.storage[driver].pool_max, `open connections ${open}`);
      assert.equal(sample(metrics, 'gatehouse_store_pool_waiting'), 0);
      assert.ok((sample(metrics, 'gatehouse_store_pool_in_use') ?? -1) >= 0);
    }
    assert.equal(sample(metrics, 'gatehouse_build_info', { node: process.version }), 1);
  });
});

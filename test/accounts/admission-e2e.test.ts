// The story's fail-fast fixes, end to end: a full hash pool answers 429 at once while users already inside keep
// being served; brute-force throttling counts per canonical account and is checked before any hashing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { sample, scrape, send, startUpstream, type TestUpstream } from '../helpers/core-net.js';
import { Client } from '../helpers/browserless-client.js';

const ROUTES = [
  { name: 'private', match: { path: '/private/' }, policy: 'authenticated', upstream: 'app' },
  { name: 'public', match: { path: '/' }, policy: 'public', upstream: 'app' },
];
const PASSWORD = 'a long enough passphrase';

await describeEachDriver('hash pool admission and throttling', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let upstream: TestUpstream;
  let gh: FullGatehouse;
  before(async () => {
    db = await makeDatabase();
    upstream = await startUpstream('app');
    gh = await startFullGatehouse(db, { app: upstream.url }, ROUTES, {
      sessions: { cookie: { secure: false, name: 'gh_session' } },
      auth: {
        local: { registration: 'open' },
        // One permit, no queue, and a costlier hash so the pool stays saturated while the storm lasts.
        hash: { concurrency: 1, queue: 0, memory_kib: 65536, iterations: 3 },
        throttle: { max_failures_per_account: 3, max_failures_per_ip: 1000, window: '1m' },
      },
    });
  });
  after(async () => {
    await gh?.stop();
    await upstream?.close();
    await db?.drop();
  });

  test('with the pool full, logins get 429 + Retry-After (never 5xx) while public and cached-session requests complete', async () => {
    const inside = new Client(gh.port);
    const reg = await inside.signUp({ email: 'inside@example.com', password: PASSWORD });
    assert.equal(reg.status, 200, reg.body);
    assert.equal((await inside.get('/private/')).status, 200, 'session is cached');
    const storm = Array.from({ length: 12 }, (_, i) =>
      send(gh.port, { method: 'POST', path: '/.gatehouse/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `storm${i}@example.com`, password: 'wrong password here' }), timeoutMs: 15_000 }));
    const during = await Promise.all([send(gh.port, { path: '/public' }), inside.get('/private/')]);
    const answers = await Promise.all(storm);
    assert.equal(during[0]!.status, 200, 'public route served during the storm');
    assert.equal(during[1]!.status, 200, 'cached session served during the storm');
    const statuses = answers.map((a) => a.status);
    assert.ok(statuses.every((s) => s === 401 || s === 429), `only 401 or 429, got ${statuses.join(',')}`);
    const rejected = answers.filter((a) => a.status === 429);
    assert.ok(rejected.length >= 1, 'some logins were refused at once');
    assert.ok(statuses.includes(401), 'some logins were accepted and judged');
    for (const r of rejected) {
      assert.ok(Number(r.headers['retry-after']) >= 1, 'Retry-After on every 429');
      assert.equal(JSON.parse(r.body).error, 'overloaded');
    }
    const metrics = await scrape(gh.adminPort);
    assert.equal(sample(metrics, 'gatehouse_hash_pool_rejected_total'), rejected.length);
    assert.equal(sample(metrics, 'gatehouse_hash_pool_size'), 1);
  });

  test('throttling counts Alice@x and alice@x as one account and refuses before hashing', async () => {
    const c = new Client(gh.port);
    assert.equal((await c.request('POST', '/.gatehouse/register', { json: { email: 'Alice@Throttle.example', password: PASSWORD } })).status, 202);
    for (const email of ['Alice@Throttle.example', 'alice@throttle.example', ' ALICE@THROTTLE.EXAMPLE ']) {
      const res = await new Client(gh.port).request('POST', '/.gatehouse/login', { json: { email, password: 'wrong password here' } });
      assert.equal(res.status, 401);
    }
    const verifiesBefore = sample(await scrape(gh.adminPort), 'gatehouse_hash_duration_seconds_count', { operation: 'verify' }) ?? 0;
    const blocked = await new Client(gh.port).request('POST', '/.gatehouse/login', { json: { email: 'alice@THROTTLE.example', password: PASSWORD } });
    assert.equal(blocked.status, 429, 'even the right password is refused inside the window');
    assert.equal(JSON.parse(blocked.body).error, 'too_many_attempts');
    assert.ok(Number(blocked.headers['retry-after']) > 0);
    const verifiesAfter = sample(await scrape(gh.adminPort), 'gatehouse_hash_duration_seconds_count', { operation: 'verify' }) ?? 0;
    assert.equal(verifiesAfter, verifiesBefore, 'no Argon2 work was spent on a throttled attempt');
    const other = await new Client(gh.port).request('POST', '/.gatehouse/login', { json: { email: 'inside@example.com', password: PASSWORD } });
    assert.equal(other.status, 200, 'other accounts from the same IP are unaffected');
  });
});

// Three real Gatehouse processes on one PostgreSQL database and three on one MariaDB database: a logout, a disable
// or a role change on one reaches the others through the change feed (NOTIFY on PostgreSQL, polling on MySQL)
// within the documented bound, although their session caches would trust the old entry for a minute; failed
// logins spread over the replicas are counted together.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describeEachDriver, type DriverName, type TestDatabase } from '../helpers/drivers.js';
import { storageAsYaml } from '../helpers/full-gatehouse.js';
import { runCli, startServe, tempDir, writeYaml, type ServeProcess } from '../helpers/core-cli.js';
import { send, startUpstream, type TestUpstream } from '../helpers/core-net.js';

const PASSWORD = 'a long enough passphrase';
const POLL_MS = 1000;
/** The bound the README documents: one poll interval plus time to read and apply the feed. */
const BOUND_MS = POLL_MS + 1000;

async function login(port: number, email: string, password = PASSWORD) {
  return send(port, { method: 'POST', path: '/.gatehouse/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
}

/** How long until `port` refuses the token (polled every 10 ms), or Infinity after `limitMs`. */
async function timeUntilRefused(port: number, token: string, path: string, refusedStatus: number, limitMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    const res = await send(port, { path, headers: { authorization: `Bearer ${token}` } });
    if (res.status === refusedStatus) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 10));
  }
  return Infinity;
}

await describeEachDriver('replicas on one database', (driver: DriverName, makeDatabase) => {
  let db: TestDatabase;
  let upstream: TestUpstream;
  let tmp: ReturnType<typeof tempDir>;
  let configPath: string;
  const replicas: ServeProcess[] = [];

  before(async () => {
    db = await makeDatabase();
    upstream = await startUpstream('app');
    tmp = tempDir('gatehouse-replicas-');
    configPath = writeYaml(join(tmp.dir, 'gatehouse.yaml'), {
      server: { listen: '127.0.0.1:0', public_url: 'http://127.0.0.1', drain_delay: '0s', grace_period: '2s' },
      admin: { listen: '127.0.0.1:0' },
      reload: { watch: false },
      upstreams: { app: { url: upstream.url } },
      routes: [
        { name: 'admin', match: { path: '/admin/' }, policy: { roles: ['admin'] }, upstream: 'app' },
        { name: 'private', match: { path: '/private/' }, policy: 'authenticated', upstream: 'app' },
      ],
      storage: { ...storageAsYaml(db.config), change_poll_interval: `${POLL_MS}ms` },
      // A long cache TTL: only the change feed can explain a refusal within the bound.
      sessions: { cookie: { secure: false, name: 'gh_session' }, cache: { ttl: '60s' } },
      auth: { local: { registration: 'open' }, throttle: { max_failures_per_account: 6, max_failures_per_ip: 1000 } },
      logging: { level: 'info' },
    });
    // Start one first so it applies the migrations; the others then find the schema ready.
    replicas.push(await startServe(configPath, 20_000));
    replicas.push(...await Promise.all([startServe(configPath, 20_000), startServe(configPath, 20_000)]));
  });
  after(async () => {
    for (const r of replicas) {
      r.child.kill('SIGTERM');
      await r.exited(10_000).catch(() => r.kill());
    }
    await upstream?.close();
    tmp?.cleanup();
    await db?.drop();
  });

  test(`logout on one replica is refused on the others within ${BOUND_MS} ms`, async () => {
    const [a, b, c] = replicas as [ServeProcess, ServeProcess, ServeProcess];
    assert.equal((await send(a.port, { method: 'POST', path: '/.gatehouse/register', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'multi@example.com', password: PASSWORD }) })).status, 202);
    const reg = await send(a.port, { method: 'POST', path: '/.gatehouse/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'multi@example.com', password: PASSWORD }) });
    assert.equal(reg.status, 200, reg.body);
    const token = JSON.parse(reg.body).token as string;
    for (const r of [a, b, c]) assert.equal((await send(r.port, { path: '/private/', headers: { authorization: `Bearer ${token}` } })).status, 200, 'cached on every replica');
    const out = await send(a.port, { method: 'POST', path: '/.gatehouse/logout', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(out.status, 204);
    const [onB, onC] = await Promise.all([b, c].map((r) => timeUntilRefused(r.port, token, '/private/', 401, BOUND_MS * 3)));
    console.log(`[${driver}] revocation reached replica B after ${onB} ms and C after ${onC} ms (bound ${BOUND_MS} ms)`);
    assert.ok(onB <= BOUND_MS && onC <= BOUND_MS, `B ${onB} ms, C ${onC} ms`);
  });

  test('a role removed (by the CLI, beside the replicas) stops a role route on every replica within the bound', async () => {
    const [a, b, c] = replicas as [ServeProcess, ServeProcess, ServeProcess];
    await send(b.port, { method: 'POST', path: '/.gatehouse/register', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'roles-multi@example.com', password: PASSWORD }) });
    const reg = await send(b.port, { method: 'POST', path: '/.gatehouse/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'roles-multi@example.com', password: PASSWORD }) });
    const token = JSON.parse(reg.body).token as string;
    const grant = await runCli(['user', 'roles', '--config', configPath, '--email', 'roles-multi@example.com', '--add', 'admin']);
    assert.equal(grant.code, 0, grant.stderr);
    const granted = await Promise.all([a, b, c].map((r) => timeUntilRefused(r.port, token, '/admin/x', 200, BOUND_MS * 3)));
    assert.ok(granted.every((t) => t <= BOUND_MS), `grant seen after ${granted.join(', ')} ms`);
    const revoke = await runCli(['user', 'roles', '--config', configPath, '--email', 'roles-multi@example.com', '--remove', 'admin']);
    assert.equal(revoke.code, 0, revoke.stderr);
    const refused = await Promise.all([a, b, c].map((r) => timeUntilRefused(r.port, token, '/admin/x', 403, BOUND_MS * 3)));
    console.log(`[${driver}] role removal reached the replicas after ${refused.join(', ')} ms`);
    assert.ok(refused.every((t) => t <= BOUND_MS), `refused after ${refused.join(', ')} ms`);
  });

  test('failed logins spread over the three replicas are counted together', async () => {
    const ports = replicas.map((r) => r.port);
    await send(ports[0]!, { method: 'POST', path: '/.gatehouse/register', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'spread@example.com', password: PASSWORD }) });
    for (let i = 0; i < 6; i++) {
      const res = await login(ports[i % 3]!, i % 2 === 0 ? 'spread@example.com' : 'SPREAD@example.com', 'wrong guess here');
      assert.equal(res.status, 401, `guess ${i}`);
    }
    for (const port of ports) {
      const res = await login(port, 'spread@example.com');
      assert.equal(res.status, 429, 'the account is throttled on every replica, even with the right password');
      assert.equal(JSON.parse(res.body).error, 'too_many_attempts');
    }
  });
}, ['postgres', 'mysql']);

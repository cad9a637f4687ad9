// Issue 15 leftovers: an administrator's account changes and refused logins are published on the domain event bus
// by their owners (auth/account-admin.ts, the login endpoints); the audit trail and the session cache subscribe.
// Checked on a whole instance (SQLite): the events as published, the cached session evicted by the subscriber
// (the next request carries the new roles), and the audit rows the subscriber writes, as they were before.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, send } from '../helpers/core-net.js';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import type { DomainEvents } from '../../src/events/domain-events.js';
import { api, PASSWORD, platformOwner, signUp, startApiWorld, type ApiWorld } from '../api/api-helpers.js';

await describeEachDriver('owners publish account administration and refused logins', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let world: ApiWorld;
  const heard: { type: string; event: unknown }[] = [];

  before(async () => {
    db = await makeDatabase();
    world = await startApiWorld(db, { auth: { throttle: { max_failures_per_account: 2 } } });
    for (const type of ['account.administered', 'user.login_failed', 'user.login_throttled'] as const) {
      world.gh.app.events.on(type, (event: DomainEvents[typeof type]) => { heard.push({ type, event }); });
    }
  });
  after(async () => {
    await world?.stop();
    await db?.drop();
  });

  /** The X-Auth-Roles an upstream receives for this token's next request. */
  async function rolesSeen(token: string): Promise<string | undefined> {
    const res = await send(world.gh.port, { path: '/private/x', headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, res.body);
    const raw: string[] = JSON.parse(res.body).rawHeaders;
    const i = raw.findIndex((h, n) => n % 2 === 0 && h.toLowerCase() === 'x-auth-roles');
    return i < 0 ? undefined : raw[i + 1];
  }

  test('role change, disable and ending sessions: account.administered; the cache drops the stale roles at once', async () => {
    const po = await platformOwner(world.gh);
    const user = await signUp(world.gh, 'admin-target');
    assert.equal(await rolesSeen(user.token), '', 'cached with no roles');
    heard.length = 0;
    const changed = await api(world.gh.port, po.token, 'PATCH', `/users/${user.id}`, { json: { roles: ['auditor'] }, headers: { 'user-agent': 'ua-test' } });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(await rolesSeen(user.token), 'auditor', 'the subscriber evicted the cached session');
    assert.equal((await api(world.gh.port, po.token, 'DELETE', `/users/${user.id}/sessions`)).status, 200);
    assert.equal((await api(world.gh.port, po.token, 'POST', `/users/${user.id}/disable`)).status, 200);
    assert.deepEqual(heard.map((h) => [h.type, (h.event as DomainEvents['account.administered']).action]), [
      ['account.administered', 'user.roles_changed'], ['account.administered', 'session.revoked'], ['account.administered', 'user.disabled'],
    ]);
    const first = heard[0]!.event as DomainEvents['account.administered'];
    assert.deepEqual(first, { action: 'user.roles_changed', userId: user.id, data: { roles: ['auditor'] }, origin: { actor: po.id, clientIp: '127.0.0.1', userAgent: 'ua-test' } });
    const rows = await eventually(3000, 'the audit subscriber wrote the three rows', async () => {
      const page = await world.gh.store.audit.list({ actor: po.id, limit: 50 });
      const mine = page.items.filter((e) => e.target === user.id);
      return mine.length === 3 ? mine : undefined;
    });
    assert.deepEqual(rows.map((e) => e.action).sort(), ['session.revoked', 'user.disabled', 'user.roles_changed']);
    assert.deepEqual(rows.find((e) => e.action === 'user.roles_changed')!.data, { roles: ['auditor'] });
    assert.equal(rows.find((e) => e.action === 'user.roles_changed')!.userAgent, 'ua-test');
  });

  test('a wrong password: user.login_failed, then user.login_throttled past the limit; audited as before', async () => {
    const user = await signUp(world.gh, 'failing');
    heard.length = 0;
    for (let i = 0; i < 3; i++) {
      const res = await api(world.gh.port, undefined, 'POST', '/.gatehouse/login', { json: { email: user.email, password: `${PASSWORD} but wrong` } });
      assert.equal(res.status, i < 2 ? 401 : 429, res.text);
    }
    assert.deepEqual(heard.map((h) => h.type), ['user.login_failed', 'user.login_failed', 'user.login_throttled']);
    assert.deepEqual(heard[0]!.event, {
      userId: user.id, target: user.id, method: 'password', reason: 'bad_password', origin: { actor: user.id, clientIp: '127.0.0.1', userAgent: null },
    });
    assert.deepEqual((heard[2]!.event as DomainEvents['user.login_throttled']).scope, 'account');
    const rows = await eventually(3000, 'the audit subscriber wrote the refusals', async () => {
      const failed = (await world.gh.store.audit.list({ action: 'user.login', actor: user.id, limit: 10 })).items
        .filter((e) => (e.data as { result?: string }).result === 'failure');
      const throttled = (await world.gh.store.audit.list({ action: 'login.throttled', limit: 10 })).items.filter((e) => e.target === user.email.toLowerCase());
      return failed.length === 2 && throttled.length === 1 ? { failed, throttled } : undefined;
    });
    assert.deepEqual(rows.failed[0]!.data, { result: 'failure', reason: 'bad_password', method: 'password' });
    assert.deepEqual(rows.throttled[0]!.data, { scope: 'account', known_device: false });
  });
}, ['sqlite']);

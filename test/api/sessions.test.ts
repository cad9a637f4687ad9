// "Log out everywhere": two sessions, one ends the other, and the other is refused at once on this replica; the
// platform owner's user controls (roles, disable, end sessions) bite at once too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { send } from '../helpers/core-net.js';
import { api, logIn, platformOwner, signUp, startApiWorld, type ApiWorld, type TestUser } from './api-helpers.js';

await describeEachDriver('SSO API session control', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let world: ApiWorld;
  let po: TestUser;

  before(async () => {
    db = await makeDatabase();
    world = await startApiWorld(db);
    po = await platformOwner(world.gh);
  });
  after(async () => {
    await world?.stop();
    await db?.drop();
  });

  const proxied = async (token: string): Promise<number> => (await send(world.gh.port, { path: '/private/', headers: { authorization: `Bearer ${token}` } })).status;

  test('two sessions: one ends the other, which is refused at once; then all but the current; then all', async () => {
    const u = await signUp(world.gh, 'sess');
    const first = u.token;
    const second = await logIn(world.gh, u.email);
    assert.equal(await proxied(first), 200);
    assert.equal(await proxied(second), 200, 'both sessions work (and are cached)');
    const list = await api(world.gh.port, first, 'GET', '/me/sessions');
    assert.equal(list.status, 200);
    assert.equal(list.json.items.length, 2);
    const current = list.json.items.filter((s: { current: boolean }) => s.current);
    assert.equal(current.length, 1);
    const other = list.json.items.find((s: { current: boolean }) => !s.current).id as string;

    const end = await api(world.gh.port, first, 'DELETE', `/me/sessions/${other}`);
    assert.equal(end.status, 204, end.text);
    assert.equal(await proxied(second), 401, 'the other session is refused at once');
    assert.equal((await api(world.gh.port, second, 'GET', '/me/sessions')).status, 401);
    assert.equal(await proxied(first), 200, 'this one still works');

    const third = await logIn(world.gh, u.email);
    const fourth = await logIn(world.gh, u.email);
    const rest = await api(world.gh.port, first, 'DELETE', '/me/sessions?keep_current=true');
    assert.equal(rest.status, 200);
    assert.equal(rest.json.sessions_ended, 2);
    assert.equal(rest.headers['set-cookie'], undefined, 'the current session keeps its cookie');
    assert.equal(await proxied(third), 401);
    assert.equal(await proxied(fourth), 401);
    assert.equal(await proxied(first), 200);

    const all = await api(world.gh.port, first, 'DELETE', '/me/sessions');
    assert.equal(all.status, 200);
    assert.match(String(all.headers['set-cookie']), /gh_session=;.*Max-Age=0/);
    assert.equal(await proxied(first), 401);
  });

  test("a platform owner ends a user's sessions, changes roles and disables: each at once", async () => {
    const u = await signUp(world.gh, 'ctl');
    const again = await logIn(world.gh, u.email);
    assert.equal(await proxied(u.token), 200);
    const ended = await api(world.gh.port, po.token, 'DELETE', `/users/${u.id}/sessions`);
    assert.deepEqual(ended.json, { sessions_ended: 2 });
    assert.equal(await proxied(u.token), 401);
    assert.equal(await proxied(again), 401);

    const t = await logIn(world.gh, u.email);
    assert.equal((await api(world.gh.port, t, 'GET', '/users')).status, 403);
    const roles = await api(world.gh.port, po.token, 'PATCH', `/users/${u.id}`, { json: { roles: ['platform_owner', 'auditor'] } });
    assert.deepEqual(roles.json.roles, ['platform_owner', 'auditor']);
    assert.equal((await api(world.gh.port, t, 'GET', '/users')).status, 200, 'the new role counts at once');
    await api(world.gh.port, po.token, 'PATCH', `/users/${u.id}`, { json: { roles: [] } });
    assert.equal((await api(world.gh.port, t, 'GET', '/users')).status, 403);

    const disabled = await api(world.gh.port, po.token, 'POST', `/users/${u.id}/disable`);
    assert.equal(disabled.status, 200);
    assert.equal(disabled.json.disabled, true);
    assert.equal(await proxied(t), 401);
    assert.equal((await api(world.gh.port, undefined, 'POST', '/.gatehouse/login', { json: { email: u.email, password: 'a long enough passphrase' } })).status, 401);
    const listed = await api(world.gh.port, po.token, 'GET', '/users?limit=500');
    assert.ok(!listed.text.includes('argon2'), 'no password hashes in answers');
  });

  test('a platform owner cannot lock themselves out', async () => {
    const self = await api(world.gh.port, po.token, 'PATCH', `/users/${po.id}`, { json: { roles: [] } });
    assert.equal(self.status, 409);
    assert.equal(self.json.field, 'roles');
    assert.equal((await api(world.gh.port, po.token, 'POST', `/users/${po.id}/disable`)).status, 409);
    assert.equal((await api(world.gh.port, po.token, 'GET', '/users')).status, 200);
  });
});

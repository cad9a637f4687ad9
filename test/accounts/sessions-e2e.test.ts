// End to end through a whole Gatehouse on each real database: register, login, identity headers, logout, expiry,
// disable, fixation, open redirects, hash pool admission, throttling, last-seen debounce.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { eventually, sample, scrape, send, startUpstream, type TestUpstream } from '../helpers/core-net.js';
import { Client } from '../helpers/browserless-client.js';

const ROUTES = [
  { name: 'admin', match: { path: '/admin/' }, policy: { roles: ['admin'] }, upstream: 'app' },
  { name: 'private', match: { path: '/private/' }, policy: 'authenticated', upstream: 'app' },
  { name: 'public', match: { path: '/' }, policy: 'public', upstream: 'app' },
];
const PLAIN_HTTP = { sessions: { cookie: { secure: false, name: 'gh_session' } } };
const PASSWORD = 'a long enough passphrase';

function lastRequest(upstream: TestUpstream) {
  const r = upstream.requests.at(-1);
  assert.ok(r, 'the upstream received a request');
  return r;
}

await describeEachDriver('accounts and sessions', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let upstream: TestUpstream;
  let gh: FullGatehouse;

  before(async () => {
    db = await makeDatabase();
    upstream = await startUpstream('app');
    gh = await startFullGatehouse(db, { app: upstream.url }, ROUTES, { ...PLAIN_HTTP, auth: { local: { registration: 'open' } } });
  });
  after(async () => {
    await gh?.stop();
    await upstream?.close();
    await db?.drop();
  });

  test('register, then sign in; identity headers reach the upstream and spoofed ones are replaced', async () => {
    const c = new Client(gh.port);
    const reg = await c.signUp({ email: 'Reg@Example.com', password: PASSWORD, name: 'Reg User' });
    assert.equal(reg.status, 200, reg.body);
    const setCookie = String(reg.headers['set-cookie']);
    assert.match(setCookie, /gh_session=/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Lax/);
    assert.match(setCookie, /Path=\//);
    const user = JSON.parse(reg.body).user;
    const res = await c.get('/private/page', { 'X-Auth-User-Id': 'spoofed', 'x_auth_email': 'evil@example.com', 'X-Forwarded-User': 'root' });
    assert.equal(res.status, 200);
    const h = lastRequest(upstream).headers;
    assert.equal(h['x-auth-user-id'], user.id);
    assert.equal(h['x-auth-email'], 'Reg@Example.com');
    assert.equal(h['x-auth-name'], 'Reg User');
    assert.equal(h['x-auth-roles'], '');
    assert.equal(h['x-forwarded-user'], undefined);
    assert.ok(!lastRequest(upstream).rawHeaders.some((n) => /^x_auth/i.test(n)), 'underscore variant removed');
    assert.equal(lastRequest(upstream).rawHeaders.filter((n) => n.toLowerCase() === 'x-auth-user-id').length, 1);
    // A taken address answers like a new one (no enumeration): 202, the same body, and nobody is signed in.
    const dup = await new Client(gh.port).request('POST', '/.gatehouse/register', { json: { email: 'reg@example.COM', password: PASSWORD } });
    assert.equal(dup.status, 202, dup.body);
    assert.equal(dup.headers['set-cookie'], undefined);
  });

  test('registration refuses weak passwords and bad emails with a 400 naming the field', async () => {
    const c = new Client(gh.port);
    for (const [body, field] of [
      [{ email: 'weak@example.com', password: 'short' }, 'password'],
      [{ email: 'weak@example.com', password: 'password123' }, 'password'],
      [{ email: 'a@b@example.com', password: PASSWORD }, 'email'],
      [{ email: 42, password: PASSWORD }, 'email'],
    ] as const) {
      const res = await c.request('POST', '/.gatehouse/register', { json: body });
      assert.equal(res.status, 400, res.body);
      assert.match(JSON.parse(res.body).message, new RegExp(`^${field}:`));
    }
  });

  test('wrong password and unknown email get the same 401 body', async () => {
    const c = new Client(gh.port);
    await c.signUp({ email: 'same@example.com', password: PASSWORD });
    const wrong = await new Client(gh.port).request('POST', '/.gatehouse/login', { json: { email: 'same@example.com', password: 'not the password' } });
    const unknown = await new Client(gh.port).request('POST', '/.gatehouse/login', { json: { email: 'nobody@example.com', password: 'not the password' } });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.body, unknown.body);
    assert.equal(JSON.parse(wrong.body).error, 'invalid_credentials');
  });

  test('logout revokes the session: the old token is refused as cookie and as bearer', async () => {
    const c = new Client(gh.port);
    await c.signUp({ email: 'out@example.com', password: PASSWORD });
    const login = await c.request('POST', '/.gatehouse/login', { json: { email: 'OUT@example.com', password: PASSWORD } });
    assert.equal(login.status, 200);
    const token = JSON.parse(login.body).token as string;
    const cookie = c.cookieHeader()!;
    assert.equal((await c.get('/private/')).status, 200);
    assert.equal((await send(gh.port, { path: '/private/', headers: { authorization: `Bearer ${token}` } })).status, 200);
    const confirm = await c.get('/.gatehouse/logout', { accept: 'text/html' });
    assert.equal(confirm.status, 200, 'GET shows a confirm form');
    assert.equal((await c.get('/private/')).status, 200, 'GET never logs out');
    const out = await c.request('POST', '/.gatehouse/logout', { json: {} });
    assert.equal(out.status, 204);
    assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
    assert.equal((await send(gh.port, { path: '/private/', headers: { cookie } })).status, 401);
    assert.equal((await send(gh.port, { path: '/private/', headers: { authorization: `Bearer ${token}` } })).status, 401);
  });

  test('roles: a {roles} route answers 403 without the role and 200 once granted, at once on this replica', async () => {
    const c = new Client(gh.port);
    const reg = await c.signUp({ email: 'roles@example.com', password: PASSWORD });
    const id = JSON.parse(reg.body).user.id as string;
    assert.equal((await c.get('/admin/x')).status, 403);
    await gh.auth.accounts.setRoles(id, ['admin', 'billing'], { actor: null });
    assert.equal((await c.get('/admin/x')).status, 200);
    assert.equal(lastRequest(upstream).headers['x-auth-roles'], 'admin,billing');
    await gh.auth.accounts.setRoles(id, [], { actor: null });
    assert.equal((await c.get('/admin/x')).status, 403);
  });

  test('a disabled user is refused at once on this replica, and cannot log in again', async () => {
    const c = new Client(gh.port);
    const reg = await c.signUp({ email: 'gone@example.com', password: PASSWORD });
    const id = JSON.parse(reg.body).user.id as string;
    assert.equal((await c.get('/private/')).status, 200);
    await gh.auth.accounts.disable(id, { actor: null });
    assert.equal((await c.get('/private/')).status, 401);
    const again = await new Client(gh.port).request('POST', '/.gatehouse/login', { json: { email: 'gone@example.com', password: PASSWORD } });
    assert.equal(again.status, 401);
  });

  test('fixation: a session cookie present before login is never the one after it, and it is ended', async () => {
    const victim = new Client(gh.port);
    await victim.signUp({ email: 'fix@example.com', password: PASSWORD });
    const before = victim.cookies.get('gh_session')!;
    assert.equal((await victim.get('/private/')).status, 200);
    await victim.request('POST', '/.gatehouse/login', { json: { email: 'fix@example.com', password: PASSWORD } });
    const afterLogin = victim.cookies.get('gh_session')!;
    assert.notEqual(afterLogin, before);
    assert.equal((await send(gh.port, { path: '/private/', headers: { cookie: `gh_session=${before}` } })).status, 401);
    const planted = new Client(gh.port);
    planted.cookies.set('gh_session', 'attacker-chosen-value');
    await planted.request('POST', '/.gatehouse/login', { json: { email: 'fix@example.com', password: PASSWORD } });
    assert.notEqual(planted.cookies.get('gh_session'), 'attacker-chosen-value');
  });

  test('the login form: CSRF required, then 303 to a safe rd; rd tricks fall back to /', async () => {
    const setup = new Client(gh.port);
    await setup.signUp({ email: 'form@example.com', password: PASSWORD });
    const noToken = await new Client(gh.port).request('POST', '/.gatehouse/login', { form: { email: 'form@example.com', password: PASSWORD, rd: '/private/x' } });
    assert.equal(noToken.status, 403);
    const cases: [string, string][] = [
      ['/private/x?y=1', '/private/x?y=1'],
      ['//evil.com', '/'], ['/\\evil.com', '/'], ['\\\\evil.com', '/'], ['/%09/evil.com', '/'],
      ['https://evil.com/', '/'], ['http://evil.com', '/'], ['https:evil.com', '/'], ['javascript:alert(1)', '/'],
      ['https://127.0.0.1@evil.com/', '/'], ['https://evil.com\\@127.0.0.1/', '/'], ['//127.0.0.1@evil.com', '/'],
      ['/%0d%0aLocation:%20https://evil.com', '/'], ['data:text/html,hi', '/'], [' https://evil.com', '/'],
      ['/.//evil.com', '/'], ['/%2e//evil.com', '/'], ['/a/..//evil.com', '/'], ['/..//evil.com', '/'],
      ['http://127.0.0.1/ok', 'http://127.0.0.1/ok'],
    ];
    for (const [rd, expected] of cases) {
      const c = new Client(gh.port);
      const csrf = await c.csrfToken();
      const res = await c.request('POST', '/.gatehouse/login', { form: { email: 'form@example.com', password: PASSWORD, rd, csrf } });
      assert.equal(res.status, 303, `rd ${JSON.stringify(rd)}: ${res.body}`);
      assert.equal(res.headers.location, expected, `rd ${JSON.stringify(rd)}`);
    }
    // A raw control character in rd is refused at the edge (http/input-guard.ts), naming the field.
    const tab = new Client(gh.port);
    const tabbed = await tab.request('POST', '/.gatehouse/login', { form: { email: 'form@example.com', password: PASSWORD, rd: '/\t/evil.com', csrf: await tab.csrfToken() } });
    assert.equal(tabbed.status, 400, tabbed.body);
    assert.equal(JSON.parse(tabbed.body).field, 'rd');
    const c = new Client(gh.port);
    const csrf = await c.csrfToken();
    const cross = await c.request('POST', '/.gatehouse/login', { form: { email: 'form@example.com', password: PASSWORD, csrf }, headers: { origin: 'https://evil.com' } });
    assert.equal(cross.status, 403);
  });

  test('an unauthenticated browser is sent to the login page with rd; an API client gets 401 JSON', async () => {
    const page = await send(gh.port, { path: '/private/a?b=c', headers: { accept: 'text/html' } });
    assert.equal(page.status, 302);
    assert.equal(page.headers.location, '/.gatehouse/login?rd=%2Fprivate%2Fa%3Fb%3Dc');
    const api = await send(gh.port, { path: '/private/a' });
    assert.equal(api.status, 401);
    assert.equal(JSON.parse(api.body).error, 'unauthenticated');
    assert.ok(api.headers['www-authenticate']);
    const forged = await send(gh.port, { path: '/private/a', headers: { authorization: 'Bearer g1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA' } });
    assert.equal(forged.status, 401);
    const me = await send(gh.port, { path: '/.gatehouse/me' });
    assert.equal(me.status, 401);
  });

  test('/.gatehouse/me answers the user behind the session', async () => {
    const c = new Client(gh.port);
    await c.signUp({ email: 'me@example.com', password: PASSWORD, name: 'Me' });
    const me = await c.get('/.gatehouse/me');
    assert.equal(me.status, 200);
    const body = JSON.parse(me.body);
    assert.deepEqual(Object.keys(body.user).sort(), ['email', 'id', 'name', 'orgs', 'roles']);
    assert.equal(body.user.email, 'me@example.com');
  });

  test('last-seen: many requests from one user inside the window make one write', async () => {
    const c = new Client(gh.port);
    const reg = await c.signUp({ email: 'seen@example.com', password: PASSWORD });
    const id = JSON.parse(reg.body).user.id as string;
    // Let activity from earlier tests flush first, so the counters below are this user's alone.
    await new Promise((r) => setTimeout(r, 1500));
    const before = sample(await scrape(gh.adminPort), 'gatehouse_last_seen_writes_total') ?? 0;
    const skippedBefore = sample(await scrape(gh.adminPort), 'gatehouse_last_seen_skipped_total') ?? 0;
    for (let i = 0; i < 40; i++) assert.equal((await c.get('/private/')).status, 200);
    const user = await eventually(5000, 'last_seen_at written', async () => (await gh.store.users.get(id))?.lastSeenAt);
    assert.ok(user instanceof Date);
    await new Promise((r) => setTimeout(r, 1500));
    const text = await scrape(gh.adminPort);
    const writes = (sample(text, 'gatehouse_last_seen_writes_total') ?? 0) - before;
    assert.ok(writes >= 1 && writes <= 2, `one write for the user (and its session), got ${writes}`);
    assert.ok((sample(text, 'gatehouse_last_seen_skipped_total') ?? 0) - skippedBefore >= 38);
  });
});

await describeEachDriver('session lifetimes', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let upstream: TestUpstream;
  let gh: FullGatehouse;
  before(async () => {
    db = await makeDatabase();
    upstream = await startUpstream('app');
    gh = await startFullGatehouse(db, { app: upstream.url }, ROUTES, {
      ...PLAIN_HTTP, auth: { local: { registration: 'open' } }, sessions: { lifetime: '2500ms', idle_timeout: '900ms' },
    });
  });
  after(async () => {
    await gh?.stop();
    await upstream?.close();
    await db?.drop();
  });

  test('idle expiry slides with use and is enforced on the cache path; the absolute lifetime ends it anyway', async () => {
    const c = new Client(gh.port);
    await c.signUp({ email: 'life@example.com', password: PASSWORD });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    for (let i = 0; i < 4; i++) {
      assert.equal((await c.get('/private/')).status, 200, `use ${i} within the idle timeout`);
      await sleep(500);
    }
    await sleep(600);
    assert.equal((await c.get('/private/')).status, 401, 'the absolute lifetime has passed');
    const idle = new Client(gh.port);
    await idle.request('POST', '/.gatehouse/login', { json: { email: 'life@example.com', password: PASSWORD } });
    assert.equal((await idle.get('/private/')).status, 200);
    await sleep(1100);
    assert.equal((await idle.get('/private/')).status, 401, 'idle for longer than idle_timeout');
  });
});

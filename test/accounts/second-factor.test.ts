// Second factors end to end on every database, through the pages and JSON: TOTP enrolment on the account page (QR
// code, confirmation by a code, ten recovery codes shown once), sign-in asking for the code, codes computed here from
// the shared secret, a code never accepted twice, recovery codes once each, throttling, step-up to routes with
// `mfa: true` (and back to the original URL), roles checked before the second factor, the amr upstream.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { eventually, send } from '../helpers/core-net.js';
import { FormClient, fieldError } from '../helpers/form-client.js';
import { PASSWORD, address, asUser, jsonLogin, register, startAccountsWorld, totpCode, type AccountsWorld } from './accounts-world.js';

await describeEachDriver('second factors', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let world: AccountsWorld;

  before(async () => {
    db = await makeDatabase();
    world = await startAccountsWorld(db, { accounts: { mfa: { totp: { skew: 2 }, max_failures: 4 } } });
  });
  after(async () => {
    await world?.stop();
    await db?.drop();
  });

  /** A browser signed in with a password (no second factor yet). */
  async function signedIn(email: string): Promise<FormClient> {
    const b = new FormClient(world.gh.port);
    await b.get('/.gatehouse/login');
    const res = await b.post('/.gatehouse/login', { email, password: PASSWORD, rd: '/private/' });
    assert.equal(res.status, 303, res.body);
    return b;
  }

  /** Enrols TOTP from the account page; returns the secret and the recovery codes shown. */
  async function enrolTotp(b: FormClient): Promise<{ secret: string; codes: string[] }> {
    const setup = await b.get('/.gatehouse/account/totp');
    assert.equal(setup.status, 200, setup.body);
    assert.match(setup.body, /<svg role="img" aria-label="QR code to scan with your authenticator app"/);
    const secret = /<code class="code" id="totp-secret">([A-Z2-7 ]+)<\/code>/.exec(setup.body)![1]!.replace(/ /g, '');
    assert.equal(secret.length, 32, 'a 160-bit base32 secret');
    const wrong = await b.post('/.gatehouse/account/totp', { code: totpCode(secret, 10) });
    assert.equal(wrong.status, 400);
    assert.match(fieldError(wrong.body, 'code') ?? '', /does not match/);
    assert.ok(wrong.body.includes(secret.match(/.{4}/g)!.join(' ')), 'the same secret is offered again');
    const ok = await b.post('/.gatehouse/account/totp', { code: totpCode(secret) });
    assert.equal(ok.status, 200, ok.body);
    const codes = [...ok.body.matchAll(/<li><code>([a-z0-9-]+)<\/code><\/li>/g)].map((m) => m[1]!);
    assert.equal(codes.length, 10, 'ten recovery codes, shown once');
    assert.equal(new Set(codes).size, 10);
    return { secret, codes };
  }

  test('TOTP: enrol, then sign-in asks for a code; a code works once; recovery codes once each', async () => {
    const email = address('totp');
    const before = await register(world.gh, email);
    const b = await signedIn(email);
    const { secret, codes } = await enrolTotp(b);
    const account = await b.get('/.gatehouse/account');
    assert.match(account.body, /An authenticator app is set up\./);
    assert.match(account.body, /10 unused recovery codes/);
    await eventually(5000, 'the audit event', async () => (await world.gh.store.audit.list({ action: 'mfa.totp_enrolled' })).items.some((e) => e.target === before.id));
    await world.gh.auth.selfService.sendMailNow();
    await world.smtp.waitFor(email, /An authenticator app was set up/);
    const stored = await world.gh.store.mfa.getTotp(before.id);
    assert.ok(stored && !stored.secret.includes(secret), 'the secret is sealed at rest');

    // A fresh browser: the password alone starts no session.
    const c = new FormClient(world.gh.port);
    await c.get('/.gatehouse/login');
    const step1 = await c.post('/.gatehouse/login', { email, password: PASSWORD, rd: '/private/page?x=1' });
    assert.equal(step1.status, 303);
    assert.equal(step1.location, '/.gatehouse/mfa?rd=%2Fprivate%2Fpage%3Fx%3D1');
    assert.equal(c.session(), undefined, 'no session before the second factor');
    const page = await c.get(step1.location!);
    assert.equal(page.status, 200);
    assert.match(page.body, /<label for="code">Six-digit code from your app<\/label>/);
    const bad = await c.post('/.gatehouse/mfa', { method: 'totp', code: '000000', rd: '/private/page?x=1' });
    assert.equal(bad.status, 401);
    assert.match(fieldError(bad.body, 'code') ?? '', /does not work/);
    const used = totpCode(secret, 1);
    const done = await c.post('/.gatehouse/mfa', { method: 'totp', code: used, rd: '/private/page?x=1' });
    assert.equal(done.status, 303, done.body);
    assert.equal(done.location, '/private/page?x=1', 'back to where the sign-in started');
    const token = c.session()!;
    const seen = await asUser(world, token);
    assert.equal(seen.headers?.['x-auth-amr'], 'pwd,otp,mfa');
    assert.equal((await asUser(world, token, '/mfa/x')).status, 200, 'mfa routes pass');

    // The same code again, in another sign-in: refused (RFC 6238 §5.2).
    const json = await jsonLogin(world.gh, email, PASSWORD);
    assert.equal(json.status, 401);
    const pending = JSON.parse(json.body) as { code: string; mfa_token: string; methods: string[] };
    assert.equal(pending.code, 'GATE_ERR_MFA_REQUIRED');
    assert.deepEqual(pending.methods, ['totp', 'recovery']);
    const replay = await send(world.gh.port, { method: 'POST', path: '/.gatehouse/mfa', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mfa_token: pending.mfa_token, method: 'totp', code: used }) });
    assert.equal(replay.status, 401, 'a code is accepted once');
    assert.equal(JSON.parse(replay.body).code, 'GATE_ERR_MFA_INVALID');

    // Recovery codes: each works once.
    const viaRecovery = await send(world.gh.port, { method: 'POST', path: '/.gatehouse/mfa', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mfa_token: pending.mfa_token, method: 'recovery', code: codes[0]!.toUpperCase() }) });
    assert.equal(viaRecovery.status, 200, viaRecovery.body);
    assert.ok((JSON.parse(viaRecovery.body) as { token: string }).token);
    const again = await jsonLogin(world.gh, email, PASSWORD);
    const pending2 = JSON.parse(again.body) as { mfa_token: string };
    const reuse = await send(world.gh.port, { method: 'POST', path: '/.gatehouse/mfa', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mfa_token: pending2.mfa_token, method: 'recovery', code: codes[0] }) });
    assert.equal(reuse.status, 401, 'a recovery code works once');
    const finished = await send(world.gh.port, { method: 'POST', path: '/.gatehouse/mfa', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mfa_token: pending.mfa_token, method: 'recovery', code: codes[1] }) });
    assert.equal(finished.status, 401, 'a finished sign-in cannot be finished again');
    assert.equal(await world.gh.store.mfa.countRecoveryCodes(before.id), 9);
    assert.equal((await asUser(world, before.token)).status, 200, 'sessions from before the enrolment keep working where no second factor is needed');
  });

  test('step-up: a route with mfa: true asks the session for its second factor and returns to the original URL', async () => {
    const email = address('stepup');
    const pwdOnly = await register(world.gh, email);
    const b = await signedIn(email);
    const { secret } = await enrolTotp(b);

    // The older session (password only) meets an mfa route: browsers are sent to the second-factor page ...
    const browser = await send(world.gh.port, { path: '/mfa/report?id=7', headers: { authorization: `Bearer ${pwdOnly.token}`, accept: 'text/html' } });
    assert.equal(browser.status, 302);
    assert.equal(browser.headers.location, '/.gatehouse/mfa?rd=%2Fmfa%2Freport%3Fid%3D7');
    // ... API clients are told what is missing (RFC 9470).
    const api = await send(world.gh.port, { path: '/mfa/report?id=7', headers: { authorization: `Bearer ${pwdOnly.token}` } });
    assert.equal(api.status, 401);
    assert.match(String(api.headers['www-authenticate']), /error="insufficient_user_authentication"/);
    assert.equal(JSON.parse(api.body).code, 'GATE_ERR_MFA_REQUIRED');

    const stepped = await send(world.gh.port, {
      method: 'POST', path: '/.gatehouse/mfa', headers: { 'content-type': 'application/json', authorization: `Bearer ${pwdOnly.token}` },
      body: JSON.stringify({ method: 'totp', code: totpCode(secret, 1) }),
    });
    assert.equal(stepped.status, 200, stepped.body);
    const upgraded = (JSON.parse(stepped.body) as { token: string }).token;
    assert.notEqual(upgraded, pwdOnly.token, 'a new session for the new privilege');
    const seen = await asUser(world, upgraded, '/mfa/report?id=7');
    assert.equal(seen.status, 200);
    assert.equal(seen.headers?.['x-auth-amr'], 'pwd,otp,mfa');
    assert.equal((await asUser(world, pwdOnly.token)).status, 401, 'the stepped-up session replaced the old one');

    // In a browser: the page, the code, and back to the original URL.
    const c = new FormClient(world.gh.port);
    await c.get('/.gatehouse/login');
    const login = await c.post('/.gatehouse/login', { email, password: PASSWORD, rd: '/mfa/report?id=8' });
    assert.equal(login.location, '/.gatehouse/mfa?rd=%2Fmfa%2Freport%3Fid%3D8');
    await c.get(login.location!);
    const back = await c.post('/.gatehouse/mfa', { method: 'totp', code: totpCode(secret, 2), rd: '/mfa/report?id=8' });
    assert.equal(back.status, 303, back.body);
    assert.equal(back.location, '/mfa/report?id=8');
  });

  test('without a second factor an mfa route says how to get one; roles are checked before the second factor', async () => {
    const email = address('nofactor');
    const { token } = await register(world.gh, email);
    const b = new FormClient(world.gh.port);
    b.cookies.set('gh_session', token);
    const page = await b.get('/.gatehouse/mfa?rd=/mfa/x');
    assert.equal(page.status, 200);
    assert.match(page.body, /your account has none yet/);
    assert.match(page.body, /href="\/\.gatehouse\/account"/);
    const admin = await send(world.gh.port, { path: '/admin/x', headers: { authorization: `Bearer ${token}` } });
    assert.equal(admin.status, 403, 'no admin role: refused, not asked for a second factor');
    assert.equal(JSON.parse(admin.body).code, 'GATE_ERR_FORBIDDEN');
  });

  test('wrong codes are throttled per account, checked before any verification', async () => {
    const email = address('mfathrottle');
    await register(world.gh, email);
    const b = await signedIn(email);
    const { secret } = await enrolTotp(b);
    const login = await jsonLogin(world.gh, email, PASSWORD);
    const { mfa_token: mfaToken } = JSON.parse(login.body) as { mfa_token: string };
    const attempt = (code: string) => send(world.gh.port, { method: 'POST', path: '/.gatehouse/mfa', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mfa_token: mfaToken, method: 'totp', code }) });
    for (let i = 0; i < 4; i++) assert.equal((await attempt('123456')).status, 401);
    const throttled = await attempt(totpCode(secret, 1));
    assert.equal(throttled.status, 429, 'even the right code waits once the account is throttled');
    assert.ok(Number(throttled.headers['retry-after']) > 0);
  });

  test('field-level messages and CSRF on the second-factor and account forms', async () => {
    const email = address('forms');
    await register(world.gh, email);
    const b = await signedIn(email);
    await b.get('/.gatehouse/account');
    const empty = await b.post('/.gatehouse/account/password', { current_password: '', new_password: 'short', new_password_confirm: 'short' });
    assert.equal(empty.status, 400);
    assert.equal(fieldError(empty.body, 'current-password'), 'Enter your current password.');
    assert.match(fieldError(empty.body, 'new-password') ?? '', /at least 8 characters/);
    const wrong = await b.post('/.gatehouse/account/password', { current_password: 'not my password', new_password: 'a fresh passphrase', new_password_confirm: 'a fresh passphrase' });
    assert.equal(fieldError(wrong.body, 'current-password'), 'That is not your current password.');
    const name = await b.post('/.gatehouse/account/profile', { name: 'bad\u0007name' });
    assert.equal(name.status, 400);
    // Refused at the edge for every endpoint (http/input-guard.ts): the page names the field.
    assert.match(name.body, /name: control characters are not allowed/);
    for (const path of ['/.gatehouse/account/profile', '/.gatehouse/account/password', '/.gatehouse/account/sessions/revoke', '/.gatehouse/account/recovery-codes',
      '/.gatehouse/account/totp', '/.gatehouse/account/totp/remove', '/.gatehouse/mfa', '/.gatehouse/account/passkeys/add',
      '/.gatehouse/account/passkeys/rename', '/.gatehouse/account/passkeys/remove', '/.gatehouse/passkey/login', '/.gatehouse/mfa/passkey']) {
      const refused = await b.post(path, { name: 'x' }, { csrf: false });
      assert.equal(refused.status, 403, `${path} refuses a form without its CSRF token`);
      const crossSite = await b.post(path, { name: 'x' }, { origin: 'https://evil.example' });
      assert.equal(crossSite.status, 403, `${path} refuses another site`);
    }
  });

  test('account page: change the password (other sessions end), sign out everywhere', async () => {
    const email = address('account');
    const other = await register(world.gh, email);
    const b = await signedIn(email);
    const page = await b.get('/.gatehouse/account');
    assert.equal(page.status, 200);
    assert.match(page.body, /\(this browser\)/);
    const changed = await b.post('/.gatehouse/account/password', { current_password: PASSWORD, new_password: 'a fresh passphrase', new_password_confirm: 'a fresh passphrase' });
    assert.equal(changed.status, 303, changed.body);
    assert.equal(changed.location, '/.gatehouse/account?notice=password-changed');
    assert.equal((await asUser(world, other.token)).status, 401, 'the other session ended');
    assert.equal((await asUser(world, b.session()!)).status, 200, 'this one goes on');
    assert.equal((await jsonLogin(world.gh, email, 'a fresh passphrase')).status, 200);
    const everywhere = await b.post('/.gatehouse/account/sessions/revoke', { scope: 'all' });
    assert.equal(everywhere.status, 303);
    assert.equal(b.session(), undefined, 'the cookie is cleared');
    assert.equal((await b.get('/.gatehouse/account')).status, 302, 'signed out here too');
  });
});

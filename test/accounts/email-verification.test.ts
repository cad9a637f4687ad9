// Email verification end to end on every database: a new account gets a single-use, expiring link; until it is
// used the account signs in but upstreams see X-Auth-Email-Verified: false and `verified_email` routes refuse it;
// the link verifies its own account's address only (not another account, not an address changed since); a new link
// voids the older; asking again needs a session and is throttled.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { eventually, send } from '../helpers/core-net.js';
import { FormClient } from '../helpers/form-client.js';
import { linkIn } from '../helpers/smtp-capture.js';
import { mintAccountToken } from '../../src/accounts/account-token.js';
import { PASSWORD, address, asUser, register, startAccountsWorld, type AccountsWorld } from './accounts-world.js';

await describeEachDriver('email verification', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let world: AccountsWorld;

  before(async () => {
    db = await makeDatabase();
    world = await startAccountsWorld(db, { accounts: { password_reset: { max_per_account: 2 } } });
  });
  after(async () => {
    await world?.stop();
    await db?.drop();
  });

  async function verificationLink(email: string, nth = 1): Promise<URL> {
    await world.gh.auth.selfService.sendMailNow();
    await world.smtp.waitFor(email, /Confirm your email/);
    const mails = world.smtp.to(email).filter((m) => /Confirm your email/.test(m.subject));
    assert.ok(mails.length >= nth, `${nth} verification message(s)`);
    return linkIn(mails[nth - 1]!, 'verify-email');
  }

  test('until the link is used: signed in, X-Auth-Email-Verified false, verified_email routes refused; then true', async () => {
    const email = address('verify');
    const { token } = await register(world.gh, email);
    const before = await asUser(world, token);
    assert.equal(before.status, 200, 'an unverified account may sign in');
    assert.equal(before.headers?.['x-auth-email-verified'], 'false');
    assert.equal(before.headers?.['x-auth-amr'], 'pwd');
    assert.equal((await asUser(world, token, '/verified/x')).status, 403);
    const refused = await send(world.gh.port, { path: '/verified/x', headers: { authorization: `Bearer ${token}` } });
    assert.equal(JSON.parse(refused.body).code, 'GATE_ERR_EMAIL_UNVERIFIED');

    const link = await verificationLink(email);
    assert.match(world.smtp.to(email)[0]!.text, /expires in 24 hours/);
    const b = new FormClient(world.gh.port);
    const page = await b.get(link.pathname + link.search);
    assert.equal(page.status, 200, 'opening the link (what a mail scanner does) uses nothing up');
    assert.match(page.body, /<button type="submit">Confirm my address<\/button>/);
    assert.equal((await b.get(link.pathname + link.search)).status, 200);
    const confirmed = await b.post('/.gatehouse/verify-email', { token: link.searchParams.get('token')! });
    assert.equal(confirmed.status, 200, confirmed.body);
    assert.match(confirmed.body, /is confirmed/);

    const after = await asUser(world, token);
    assert.equal(after.headers?.['x-auth-email-verified'], 'true', 'the cached session learned at once');
    assert.equal((await asUser(world, token, '/verified/x')).status, 200);
    const again = await b.post('/.gatehouse/verify-email', { token: link.searchParams.get('token')! });
    assert.equal(again.status, 400, 'the link works once');
    assert.equal((await b.get(link.pathname + link.search)).status, 400);
    const me = JSON.parse((await send(world.gh.port, { path: '/.gatehouse/me', headers: { authorization: `Bearer ${token}` } })).body) as { user: { id: string } };
    await eventually(5000, 'the audit event', async () =>
      (await world.gh.store.audit.list({ action: 'user.email_verified' })).items.some((e) => e.target === me.user.id));
  });

  test('a link verifies its own account only, and only the address it was sent to', async () => {
    const alice = address('alice');
    const bob = address('bob');
    const a = await register(world.gh, alice);
    const bobSession = await register(world.gh, bob);
    const aliceLink = await verificationLink(alice);

    // Bob, signed in, posts Alice's link (JSON, with his bearer token): Alice is verified, Bob is not.
    const res = await send(world.gh.port, {
      method: 'POST', path: '/.gatehouse/verify-email', headers: { 'content-type': 'application/json', authorization: `Bearer ${bobSession.token}` },
      body: JSON.stringify({ token: aliceLink.searchParams.get('token') }),
    });
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(JSON.parse(res.body), { email: alice, email_verified: true });
    assert.equal((await asUser(world, bobSession.token)).headers?.['x-auth-email-verified'], 'false');
    assert.equal((await asUser(world, a.token)).headers?.['x-auth-email-verified'], 'true');

    // Bob's address changes after his link was sent: the link does not prove the new address.
    const bobLink = await verificationLink(bob);
    const newBob = address('bob-new');
    await world.gh.auth.accounts.setRoles(bobSession.id, [], { actor: null });
    await world.gh.store.users.update(bobSession.id, { email: newBob });
    const changed = await send(world.gh.port, {
      method: 'POST', path: '/.gatehouse/verify-email', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: bobLink.searchParams.get('token') }),
    });
    assert.equal(changed.status, 400);
    assert.equal(JSON.parse(changed.body).code, 'GATE_ERR_LINK_INVALID');
    assert.equal((await world.gh.store.users.get(bobSession.id))?.emailVerifiedAt, null);

    // An expired link, and a reset token offered as a verification link, do not work.
    const { token, id } = mintAccountToken();
    await world.gh.store.accountTokens.create({ id, purpose: 'verify_email', userId: bobSession.id, email: newBob, expiresAt: new Date(Date.now() - 1) });
    assert.equal((await new FormClient(world.gh.port).get(`/.gatehouse/verify-email?token=${token}`)).status, 400);
    const reset = mintAccountToken();
    await world.gh.store.accountTokens.create({ id: reset.id, purpose: 'reset_password', userId: bobSession.id, email: newBob, expiresAt: new Date(Date.now() + 60_000) });
    const wrongKind = await send(world.gh.port, { method: 'POST', path: '/.gatehouse/verify-email', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: reset.token }) });
    assert.equal(wrongKind.status, 400);
  });

  test('asking again needs a session, voids the older link, and is throttled', async () => {
    const email = address('resend');
    const { token } = await register(world.gh, email);
    const first = await verificationLink(email);
    const anonymous = await send(world.gh.port, { method: 'POST', path: '/.gatehouse/verify-email/resend', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(anonymous.status, 401);
    const resend = (): Promise<{ status: number; body: string }> => send(world.gh.port, {
      method: 'POST', path: '/.gatehouse/verify-email/resend', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{}',
    });
    const again = await resend();
    assert.equal(again.status, 202, again.body);
    const second = await verificationLink(email, 2);
    assert.notEqual(second.href, first.href);
    const stale = await send(world.gh.port, { method: 'POST', path: '/.gatehouse/verify-email', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: first.searchParams.get('token') }) });
    assert.equal(stale.status, 400, 'the older link stopped working');
    assert.equal((await resend()).status, 202);
    const throttled = await resend();
    assert.equal(throttled.status, 429, 'past password_reset.max_per_account in the window');
    const ok = await send(world.gh.port, { method: 'POST', path: '/.gatehouse/verify-email', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: (await verificationLink(email, 3)).searchParams.get('token') }) });
    assert.equal(ok.status, 200, 'the newest link works');
    void PASSWORD;
  });
});

await describeEachDriver('email verification turned off', (_driver, makeDatabase) => {
  void test('no link is sent; the address stays unconfirmed and says so', async () => {
    const db = await makeDatabase();
    const world = await startAccountsWorld(db, { auth: { local: { require_verified_email: false } } });
    try {
      const email = address('noverify');
      const { token } = await register(world.gh, email);
      await world.gh.auth.selfService.sendMailNow();
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(world.smtp.to(email).length, 0);
      assert.equal((await asUser(world, token)).headers?.['x-auth-email-verified'], 'false');
    } finally {
      await world.stop();
      await db.drop();
    }
  });
}, ['sqlite']);

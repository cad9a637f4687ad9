// "Forgot password" end to end on every database, with mail to a real SMTP server: the same answer for known and
// unknown addresses; the link works once, only for its own account, not after a newer link or its expiry; using it
// ends every session of the account; field-level messages for bad input; CSRF on every form; throttling per
// account (same answer, no more mail) and per IP (429).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { send } from '../helpers/core-net.js';
import { FormClient, fieldError } from '../helpers/form-client.js';
import { linkIn } from '../helpers/smtp-capture.js';
import { mintAccountToken } from '../../src/accounts/account-token.js';
import { PASSWORD, address, asUser, jsonLogin, register, startAccountsWorld, type AccountsWorld } from './accounts-world.js';

const NEW_PASSWORD = 'a brand new passphrase';

await describeEachDriver('password reset', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let world: AccountsWorld;
  let ip = 10;

  before(async () => {
    db = await makeDatabase();
    world = await startAccountsWorld(db, {
      server: { trusted_proxies: ['127.0.0.1'] },
      accounts: { password_reset: { max_per_account: 2, max_per_ip: 5 } },
    });
  });
  after(async () => {
    await world?.stop();
    await db?.drop();
  });

  /** A browser from its own client address (each test gets a fresh IP budget). */
  const browser = (): FormClient => new FormClient(world.gh.port, 'http://127.0.0.1', { 'x-forwarded-for': `198.51.100.${ip++}` });

  async function settle(): Promise<void> {
    await world.gh.auth.selfService.deps.deferred.idle();
    await world.gh.auth.selfService.sendMailNow();
  }

  async function resetLink(b: FormClient, email: string): Promise<URL> {
    await b.get('/.gatehouse/forgot-password');
    const before = world.smtp.to(email).filter((m) => /Reset your/.test(m.subject)).length;
    const sent = await b.post('/.gatehouse/forgot-password', { email });
    assert.equal(sent.status, 200, sent.body);
    await settle();
    const mails = await world.smtp.waitFor(email, /Reset your/).then(() => world.smtp.to(email).filter((m) => /Reset your/.test(m.subject)));
    assert.equal(mails.length, before + 1, 'one new reset message');
    return linkIn(mails.at(-1)!, 'reset-password');
  }

  test('the same answer for a known and an unknown address; the link works once and ends every session', async () => {
    const email = address('reset');
    const { token } = await register(world.gh, email);
    const b = browser();
    const form = await b.get('/.gatehouse/forgot-password');
    assert.equal(form.status, 200);
    assert.match(form.body, /<label for="email">Email address<\/label>/);
    const known = await b.post('/.gatehouse/forgot-password', { email });
    const unknownEmail = address('nobody');
    const unknown = await b.post('/.gatehouse/forgot-password', { email: unknownEmail });
    assert.equal(known.status, 200);
    assert.equal(unknown.status, 200);
    assert.equal(known.body.replaceAll(email, 'X'), unknown.body.replaceAll(unknownEmail, 'X'), 'the pages differ only by the address typed');
    const jsonKnown = await send(world.gh.port, { method: 'POST', path: '/.gatehouse/forgot-password', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' }, body: JSON.stringify({ email: address('json') }) });
    assert.equal(jsonKnown.status, 202);
    assert.deepEqual(JSON.parse(jsonKnown.body), { status: 'accepted' });
    await settle();
    const mail = await world.smtp.waitFor(email, /Reset your/);
    assert.equal(world.smtp.to(unknownEmail).length, 0, 'no message for an address without an account');
    assert.match(mail.text, /expires in 30 minutes/);
    const link = linkIn(mail, 'reset-password');

    const page = await b.get(link.pathname + link.search);
    assert.equal(page.status, 200);
    assert.match(page.body, new RegExp(`Choose a new password for <strong>${email.replace(/[.]/g, '\\.')}</strong>`));
    const tokenValue = link.searchParams.get('token')!;
    const short = await b.post('/.gatehouse/reset-password', { token: tokenValue, password: 'short', password_confirm: 'short' });
    assert.equal(short.status, 400);
    assert.match(fieldError(short.body, 'password') ?? '', /at least 8 characters/);
    const mismatch = await b.post('/.gatehouse/reset-password', { token: tokenValue, password: NEW_PASSWORD, password_confirm: 'something else entirely' });
    assert.equal(mismatch.status, 400);
    assert.equal(fieldError(mismatch.body, 'password-confirm'), 'The two passwords are not the same.');
    assert.equal(fieldError(mismatch.body, 'password'), undefined);

    assert.equal((await asUser(world, token)).status, 200, 'the old session works before the reset');
    const done = await b.post('/.gatehouse/reset-password', { token: tokenValue, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    assert.equal(done.status, 200, done.body);
    assert.match(done.body, /Password changed/);
    assert.equal((await asUser(world, token)).status, 401, 'every session of the account ended');
    assert.equal((await jsonLogin(world.gh, email, PASSWORD)).status, 401, 'the old password no longer works');
    assert.equal((await jsonLogin(world.gh, email, NEW_PASSWORD)).status, 200, 'the new one does');
    await settle();
    await world.smtp.waitFor(email, /password was changed/);
    const user = await world.gh.store.users.getByEmail(email);
    assert.ok(user?.emailVerifiedAt, 'using the link proved the address');

    const again = await b.post('/.gatehouse/reset-password', { token: tokenValue, password: 'yet another passphrase', password_confirm: 'yet another passphrase' });
    assert.equal(again.status, 400, 'the link works once');
    assert.match(again.body, /This link does not work/);
    assert.equal((await b.get(link.pathname + link.search)).status, 400);
    assert.equal((await jsonLogin(world.gh, email, NEW_PASSWORD)).status, 200, 'a refused reuse changed nothing');
  });

  test('a link acts on its own account only; a newer link voids the older; an expired link does not work', async () => {
    const alice = address('alice');
    const bob = address('bob');
    await register(world.gh, alice);
    const bobSession = await register(world.gh, bob);
    const b = browser();
    const first = await resetLink(b, alice);
    const second = await resetLink(b, alice);
    const stale = await b.post('/.gatehouse/reset-password', { token: first.searchParams.get('token')!, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    assert.equal(stale.status, 400, 'asking again voided the older link');

    // Bob's browser, signed in as Bob, uses Alice's link: it changes Alice's password, never Bob's.
    const bobBrowser = browser();
    const login = await bobBrowser.get('/.gatehouse/login');
    assert.equal(login.status, 200);
    const signedIn = await bobBrowser.post('/.gatehouse/login', { email: bob, password: PASSWORD, rd: '/private/' });
    assert.equal(signedIn.status, 303);
    const used = await bobBrowser.post('/.gatehouse/reset-password', { token: second.searchParams.get('token')!, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    assert.equal(used.status, 200, used.body);
    assert.equal((await jsonLogin(world.gh, alice, NEW_PASSWORD)).status, 200);
    assert.equal((await jsonLogin(world.gh, bob, PASSWORD)).status, 200, "Bob's password is untouched");
    assert.equal((await asUser(world, bobSession.token)).status, 200, "Bob's sessions are untouched");

    const user = await world.gh.store.users.getByEmail(alice);
    const { token, id } = mintAccountToken();
    await world.gh.store.accountTokens.create({ id, purpose: 'reset_password', userId: user!.id, email: alice, expiresAt: new Date(Date.now() - 1000) });
    assert.equal((await b.get(`/.gatehouse/reset-password?token=${token}`)).status, 400, 'an expired link does not work');
    const late = await b.post('/.gatehouse/reset-password', { token, password: 'too late a passphrase', password_confirm: 'too late a passphrase' });
    assert.equal(late.status, 400);
    // A verification token is not a reset token, even for the same account.
    const other = mintAccountToken();
    await world.gh.store.accountTokens.create({ id: other.id, purpose: 'verify_email', userId: user!.id, email: alice, expiresAt: new Date(Date.now() + 60_000) });
    assert.equal((await b.get(`/.gatehouse/reset-password?token=${other.token}`)).status, 400);
  });

  test('bad input gets a field-level message; forms need their CSRF token and a same-site origin', async () => {
    const b = browser();
    await b.get('/.gatehouse/forgot-password');
    const empty = await b.post('/.gatehouse/forgot-password', { email: '' });
    assert.equal(empty.status, 400);
    assert.equal(fieldError(empty.body, 'email'), 'Enter your email address.');
    assert.match(empty.body, /<a href="#email">Enter your email address\.<\/a>/, 'the error summary links to the field');
    const bad = await b.post('/.gatehouse/forgot-password', { email: 'not an address' });
    assert.equal(fieldError(bad.body, 'email'), 'Enter an email address like name@example.com.');
    assert.match(bad.body, /value="not an address"/, 'what was typed stays in the field');
    const json = await send(world.gh.port, { method: 'POST', path: '/.gatehouse/forgot-password', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.10' }, body: JSON.stringify({ email: 'x@' }) });
    assert.equal(json.status, 400);
    assert.equal(JSON.parse(json.body).code, 'GATE_ERR_VALIDATION');

    const noToken = await b.post('/.gatehouse/forgot-password', { email: address('csrf') }, { csrf: false });
    assert.equal(noToken.status, 403);
    const crossSite = await b.post('/.gatehouse/forgot-password', { email: address('csrf') }, { origin: 'https://evil.example' });
    assert.equal(crossSite.status, 403);
    for (const path of ['/.gatehouse/reset-password', '/.gatehouse/verify-email', '/.gatehouse/verify-email/resend']) {
      const refused = await b.post(path, { token: 'x' }, { csrf: false });
      assert.equal(refused.status, 403, `${path} refuses a form without its CSRF token`);
    }
    assert.equal((await b.get('/.gatehouse/reset-password?token=not-a-token')).status, 400);
    assert.equal((await b.get('/.gatehouse/reset-password')).status, 400);
  });

  test('throttled per account (the same answer, no more mail) and per client IP (429)', async () => {
    const email = address('throttle');
    await register(world.gh, email);
    const b = browser();
    await b.get('/.gatehouse/forgot-password');
    const answers: string[] = [];
    for (let i = 0; i < 4; i++) answers.push((await b.post('/.gatehouse/forgot-password', { email })).body);
    assert.equal(new Set(answers).size, 1, 'every answer is the same');
    await settle();
    await world.smtp.waitFor(email, /Reset your/);
    await new Promise((r) => setTimeout(r, 200));
    await settle();
    assert.equal(world.smtp.to(email).filter((m) => /Reset your/.test(m.subject)).length, 2, 'max_per_account messages, no more');
    const fifth = await b.post('/.gatehouse/forgot-password', { email: address('other') });
    assert.equal(fifth.status, 200, 'the fifth request from this IP is still answered');
    const sixth = await b.post('/.gatehouse/forgot-password', { email: address('other') });
    assert.equal(sixth.status, 429, 'past max_per_ip');
    assert.ok(Number(sixth.headers['retry-after']) > 0);
  });
});

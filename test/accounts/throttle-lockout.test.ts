// Issue 12 §3, "Account lockout by anyone": 10 wrong passwords from anywhere locked any account (a platform owner
// too) for 15 minutes. Now (auth/login-throttle.ts): per-IP limits first (429 with Retry-After for the rest of the
// window); past the account's limit attempts are paced, one per doubling delay up to a cap, never locked; and a
// browser that signed in to the account before (OWASP device cookie) is not slowed by strangers at all. Through a
// whole Gatehouse on every driver, with client addresses from X-Forwarded-For (the test's peer is a trusted proxy).
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { startUpstream, type TestUpstream } from '../helpers/core-net.js';
import { Client } from '../helpers/browserless-client.js';

const ROUTES = [{ name: 'public', match: { path: '/' }, policy: 'public', upstream: 'app' }];
const PASSWORD = 'the owner knows this one';

await describeEachDriver('no lockout by anyone: per-IP limits, a paced account, device cookies', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let upstream: TestUpstream;
  let gh: FullGatehouse;
  before(async () => {
    db = await makeDatabase();
    upstream = await startUpstream('app');
    gh = await startFullGatehouse(db, { app: upstream.url }, ROUTES, {
      server: { trusted_proxies: ['127.0.0.1/32'] },
      sessions: { cookie: { secure: false, name: 'gh_session' } },
      auth: {
        local: { registration: 'open' },
        throttle: { max_failures_per_account: 5, max_failures_per_ip: 20, window: '1m', account_delay: '1s', account_delay_max: '2s' },
      },
    });
  });
  after(async () => {
    await gh?.stop();
    await upstream?.close();
    await db?.drop();
  });

  let ipCounter = 0;
  /** A fresh client address each call (documentation range), as a distributed attacker has. */
  const freshIp = (): string => `198.51.100.${++ipCounter % 250}`;
  const login = (c: Client, email: string, password: string, ip = freshIp()) =>
    c.request('POST', '/.gatehouse/login', { json: { email, password }, headers: { 'x-forwarded-for': ip } });

  async function owner(label: string): Promise<{ email: string; browser: Client }> {
    const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
    const browser = new Client(gh.port);
    const reg = await browser.request('POST', '/.gatehouse/register', { json: { email, password: PASSWORD }, headers: { 'x-forwarded-for': '192.0.2.1' } });
    assert.equal(reg.status, 202, reg.body);
    // Signing in with the password makes this browser a known device for the account.
    const first = await login(browser, email, PASSWORD, '192.0.2.1');
    assert.equal(first.status, 200, first.body);
    assert.ok([...browser.cookies.keys()].includes('gatehouse-device'), `a device cookie was set: ${[...browser.cookies.keys()].join(',')}`);
    return { email, browser };
  }

  test('an attacker guessing from many IPs cannot stop the owner signing in from their browser', async () => {
    const { email, browser } = await owner('victim');
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await login(new Client(gh.port), email, `guess ${i}`)).status);
    assert.ok(statuses.every((s) => s === 401 || s === 429), `only 401 and 429: ${statuses.join(',')}`);
    assert.ok(statuses.filter((s) => s === 429).length >= 20, `the attack is slowed: ${statuses.join(',')}`);
    // The owner's browser (device cookie), from the owner's own address, at once.
    const mine = await login(browser, email, PASSWORD, '192.0.2.1');
    assert.equal(mine.status, 200, `the owner signs in during the attack: ${mine.body}`);
    // A typo from the known browser is judged on its own: still 401, then the right password works.
    assert.equal((await login(browser, email, 'typo', '192.0.2.1')).status, 401);
    assert.equal((await login(browser, email, PASSWORD, '192.0.2.1')).status, 200);
  });

  test('without the device cookie the account is paced, not locked: in at most account_delay_max', async () => {
    const { email } = await owner('paced');
    for (let i = 0; i < 12; i++) await login(new Client(gh.port), email, `guess ${i}`);
    const fresh = new Client(gh.port);
    const early = await login(fresh, email, PASSWORD);
    assert.equal(early.status, 429, early.body);
    const wait = Number(early.headers['retry-after']);
    assert.ok(wait >= 1 && wait <= 2, `Retry-After within account_delay_max (2s): ${wait}`);
    await sleep(wait * 1000 + 100);
    const later = await login(fresh, email, PASSWORD);
    assert.equal(later.status, 200, `a new browser gets in after the pause, not after a 15-minute lock: ${later.body}`);
  });

  test('a paced account lets one of many concurrent attempts through, not all of them', async () => {
    const { email } = await owner('concurrent');
    for (let i = 0; i < 6; i++) await login(new Client(gh.port), email, `guess ${i}`);
    await sleep(2_200);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => login(new Client(gh.port), email, `burst ${i}`)));
    const tried = answers.filter((a) => a.status === 401).length;
    assert.equal(tried, 1, `exactly one attempt claimed the paced slot: ${answers.map((a) => a.status).join(',')}`);
    assert.ok(answers.every((a) => a.status === 401 || a.status === 429));
  });

  test("another account's device cookie, or a forged one, does not bypass the pace", async () => {
    const { email } = await owner('target');
    const attacker = await owner('attacker');
    for (let i = 0; i < 8; i++) await login(new Client(gh.port), email, `guess ${i}`);
    const borrowed = await login(attacker.browser, email, 'still guessing');
    assert.equal(borrowed.status, 429, `a cookie for another account is no proof for this one: ${borrowed.body}`);
    const forged = new Client(gh.port);
    forged.cookies.set('gatehouse-device', `d1.${'A'.repeat(22)}.${Date.now().toString(36)}.${'B'.repeat(22)}`);
    assert.equal((await login(forged, email, 'guessing')).status, 429);
  });

  test('a flood from one IP gets 429 with Retry-After for the rest of the window, before any account is judged', async () => {
    const ip = '203.0.113.77';
    const statuses: number[] = [];
    const started = Date.now();
    for (let i = 0; i < 20; i++) statuses.push((await login(new Client(gh.port), `nobody-${i}-${randomUUID()}@example.com`, 'x', ip)).status);
    assert.ok(statuses.every((s) => s === 401), `the first 20 are tried: ${statuses.join(',')}`);
    await sleep(2_100);
    const refused = await login(new Client(gh.port), `someone-${randomUUID()}@example.com`, 'x', ip);
    assert.equal(refused.status, 429, refused.body);
    assert.equal(JSON.parse(refused.body).error, 'too_many_attempts');
    const retryAfter = Number(refused.headers['retry-after']);
    const remaining = Math.ceil((60_000 - (Date.now() - started)) / 1000) + 1;
    assert.ok(retryAfter >= 1 && retryAfter <= remaining, `Retry-After is what is left of the window (<= ${remaining}): ${retryAfter}`);
    // Another address is not affected by this one's flood.
    assert.equal((await login(new Client(gh.port), `someone-${randomUUID()}@example.com`, 'x', '203.0.113.78')).status, 401);
  });
});

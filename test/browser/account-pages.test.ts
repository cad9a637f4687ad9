// Every account page in headless Chromium as a person meets it: the flows end to end (register, confirm the
// address, forgot password, reset, sign in with an authenticator app, recovery code, step-up, account page,
// passkeys through a CDP virtual authenticator, sign out), a screenshot of each page in test-artifacts/, and
// axe-core on each page with no violation at WCAG 2.2 AA. The flows that need no JavaScript are also driven with
// JavaScript off.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sqliteDatabase, type TestDatabase } from '../store/databases.js';
import { ARTIFACTS, browserAvailable, launchBrowser } from '../helpers/browser.js';
import { linkIn } from '../helpers/smtp-capture.js';
import { PASSWORD, address, register, startAccountsWorld, totpCode, type AccountsWorld } from '../accounts/accounts-world.js';

const ready = browserAvailable();
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

let db: TestDatabase;
let world: AccountsWorld;
let browser: Browser;
let base: string;
const checked = new Set<string>();

before(async () => {
  if (!ready) return;
  db = sqliteDatabase();
  world = await startAccountsWorld(db, {
    server: { public_url: 'http://localhost' },
    sessions: { cookie: { secure: true, name: '__Host-gatehouse' } },
    accounts: { mfa: { totp: { skew: 2 } } },
    pages: { product_name: 'Acme Portal', colors: { primary: '#0b5394' } },
  });
  base = `http://localhost:${world.gh.port}`;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await world?.stop();
  await db?.drop();
});

/** Screenshot and axe (WCAG 2.2 AA tags) for the page as it is now; fails on any violation. */
async function inspect(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `account-${name}.png`), fullPage: true });
  // Evaluated over the DevTools protocol: the page's CSP (no inline scripts) stays in force for everything else.
  await page.evaluate(AXE);
  const result = await page.evaluate(async (tags) => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    return axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
  }, WCAG_22_AA);
  const problems = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(problems, [], `axe found WCAG 2.2 AA violations on ${name}`);
  checked.add(name);
}

/** The X-Auth-Amr the echoing upstream received (its page lists the raw headers). */
function amrSeen(body: string | null): string {
  return /"X-Auth-Amr","([^"]*)"/.exec(body ?? '')?.[1] ?? '(none)';
}

async function newPage(options: { javaScriptEnabled?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ javaScriptEnabled: options.javaScriptEnabled ?? true });
  return { context, page: await context.newPage() };
}

async function signIn(page: Page, email: string, password = PASSWORD, rd = '/private/'): Promise<void> {
  await page.goto(`${base}/.gatehouse/login?rd=${encodeURIComponent(rd)}`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForLoadState(), page.click('form[action="/.gatehouse/login"] button[type=submit]')]);
}

test('sign-in, confirmation, forgot password and reset', { skip: !ready, timeout: 300_000 }, async () => {
  const email = address('pages');
  await register(world.gh, email);
  const { context, page } = await newPage();
  try {
    await page.goto(`${base}/private/report`);
    assert.match(page.url(), /\/\.gatehouse\/login\?rd=/);
    await inspect(page, 'login');
    // Keyboard order: email, password, then the button.
    await page.focus('#email');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id), 'password');
    await page.fill('#email', email);
    await page.fill('#password', 'not the password');
    await page.click('form[action="/.gatehouse/login"] button[type=submit]');
    assert.match(await page.textContent('.alert') ?? '', /Wrong email or password/);
    await inspect(page, 'login-error');

    await page.click('text=Forgot your password?');
    await inspect(page, 'forgot-password');
    await page.fill('#email', 'not an address');
    await page.click('form button[type=submit]');
    assert.equal(await page.getAttribute('#email', 'aria-invalid'), 'true');
    assert.equal(await page.getAttribute('#email', 'aria-describedby'), 'email-error');
    await inspect(page, 'forgot-password-error');
    await page.fill('#email', email);
    await page.click('form button[type=submit]');
    assert.match(await page.textContent('main') ?? '', /a message with a link to choose a new password is on its way/);
    await inspect(page, 'forgot-password-sent');

    await world.gh.auth.selfService.deps.deferred.idle();
    await world.gh.auth.selfService.sendMailNow();
    const link = linkIn(await world.smtp.waitFor(email, /Reset your/), 'reset-password');
    await page.goto(`${base}${link.pathname}${link.search}`);
    await inspect(page, 'reset-password');
    await page.fill('#password', 'a new passphrase here');
    await page.fill('#password-confirm', 'a different one');
    await page.click('form button[type=submit]');
    assert.equal(await page.getAttribute('#password-confirm', 'aria-invalid'), 'true');
    await inspect(page, 'reset-password-error');
    await page.fill('#password', 'a new passphrase here');
    await page.fill('#password-confirm', 'a new passphrase here');
    await page.click('form button[type=submit]');
    assert.match(await page.textContent('h1') ?? '', /Password changed/);
    await inspect(page, 'reset-password-done');
    await page.goto(`${base}${link.pathname}${link.search}`);
    assert.match(await page.textContent('h1') ?? '', /This link does not work/);
    await inspect(page, 'link-invalid');

    const verify = linkIn(await world.smtp.waitFor(email, /Confirm your email/), 'verify-email');
    await page.goto(`${base}${verify.pathname}${verify.search}`);
    await inspect(page, 'verify-email');
    await page.click('form button[type=submit]');
    assert.match(await page.textContent('main') ?? '', /is confirmed/);
    await inspect(page, 'verify-email-done');

    await signIn(page, email, 'a new passphrase here', '/private/x');
    assert.equal(new URL(page.url()).pathname, '/private/x');
    await page.goto(`${base}/.gatehouse/account`);
    await inspect(page, 'account');
    await page.goto(`${base}/.gatehouse/logout?rd=/`);
    await inspect(page, 'logout');
    await page.click('form button[type=submit]');
    assert.equal(new URL(page.url()).pathname, '/');
  } finally {
    await context.close();
  }
});

test('authenticator app: enrol, recovery codes, sign in with a code, step up, remove', { skip: !ready, timeout: 300_000 }, async () => {
  const email = address('totp-pages');
  await register(world.gh, email);
  const { context, page } = await newPage();
  try {
    await signIn(page, email);
    await page.goto(`${base}/.gatehouse/account`);
    await page.click('text=Set up an authenticator app');
    await inspect(page, 'totp-setup');
    const secret = (await page.textContent('#totp-secret'))!.replace(/\s/g, '');
    await page.fill('#code', '000000');
    await page.click('form[action="/.gatehouse/account/totp"] button[type=submit]');
    assert.equal(await page.getAttribute('#code', 'aria-invalid'), 'true');
    await inspect(page, 'totp-setup-error');
    await page.fill('#code', totpCode(secret));
    await page.click('form[action="/.gatehouse/account/totp"] button[type=submit]');
    const codes = await page.locator('.codes code').allTextContents();
    assert.equal(codes.length, 10);
    await inspect(page, 'recovery-codes');

    const second = await newPage();
    try {
      await signIn(second.page, email, PASSWORD, '/mfa/deep?x=1');
      assert.match(second.page.url(), /\/\.gatehouse\/mfa\?rd=/);
      await inspect(second.page, 'second-factor');
      await second.page.fill('#code', '111111');
      await second.page.click('form[action="/.gatehouse/mfa"] button[type=submit] >> nth=0');
      assert.equal(await second.page.getAttribute('#code', 'aria-invalid'), 'true');
      await inspect(second.page, 'second-factor-error');
      await second.page.fill('#code', totpCode(secret, 1));
      await Promise.all([second.page.waitForURL(`${base}/mfa/deep?x=1`), second.page.click('form[action="/.gatehouse/mfa"] button[type=submit] >> nth=0')]);
      assert.equal(amrSeen(await second.page.textContent('body')), 'pwd,otp,mfa');
    } finally {
      await second.context.close();
    }

    const third = await newPage();
    try {
      await signIn(third.page, email, PASSWORD, '/private/r');
      await third.page.click('summary');
      await third.page.fill('#recovery-code', codes[0]!);
      await Promise.all([third.page.waitForURL(`${base}/private/r`), third.page.click('form:has(#recovery-code) button[type=submit]')]);
    } finally {
      await third.context.close();
    }
    await page.goto(`${base}/.gatehouse/account`);
    assert.match(await page.textContent('main') ?? '', /9 unused recovery codes/);
    await page.click('text=Remove the authenticator app');
    assert.match(await page.textContent('.notice') ?? '', /authenticator app was removed/);
    await inspect(page, 'account-notice');
  } finally {
    await context.close();
  }
});

test('passkeys with a virtual authenticator: enrol, sign in, remove, sign-in refused after removal', { skip: !ready, timeout: 300_000 }, async () => {
  const email = address('passkey');
  await register(world.gh, email);
  const { context, page } = await newPage();
  try {
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await signIn(page, email);
    await page.goto(`${base}/.gatehouse/account`);
    await page.fill('#passkey-name', 'Laptop');
    await page.check('#passkey-passwordless');
    await Promise.all([page.waitForURL(`${base}/.gatehouse/account/passkeys/add`), page.click('#passkey-add-button')]);
    assert.equal((await page.locator('.codes code').allTextContents()).length, 10, 'a first factor comes with recovery codes');
    await page.goto(`${base}/.gatehouse/account`);
    assert.match(await page.textContent('table') ?? '', /Laptop/);
    await inspect(page, 'account-passkeys');
    const user = await world.gh.store.users.getByEmail(email);
    const [credential] = await world.gh.store.mfa.listCredentials(user!.id);
    assert.ok(credential?.passwordless);

    // Sign out, then sign in with the passkey alone.
    await page.goto(`${base}/.gatehouse/logout?rd=/`);
    await page.click('form button[type=submit]');
    await page.goto(`${base}/.gatehouse/login?rd=/private/pk`);
    await Promise.all([page.waitForURL(`${base}/private/pk`), page.click('#passkey-login-button')]);
    assert.match(amrSeen(await page.textContent('body')), /^(hwk|swk),user,mfa$/);

    // With a passkey, the password asks for a second factor, and the passkey answers it.
    await page.goto(`${base}/.gatehouse/logout?rd=/`);
    await page.click('form button[type=submit]');
    await signIn(page, email, PASSWORD, '/mfa/two');
    assert.match(page.url(), /\/\.gatehouse\/mfa/);
    await inspect(page, 'second-factor-passkey');
    await Promise.all([page.waitForURL(`${base}/mfa/two`), page.click('#passkey-mfa-button')]);
    assert.match(amrSeen(await page.textContent('body')), /^pwd,(hwk|swk),mfa$/);

    await page.goto(`${base}/.gatehouse/account`);
    await page.click('button[aria-label="Remove Laptop"]');
    assert.match(await page.textContent('.notice') ?? '', /passkey was removed/);
    await page.goto(`${base}/.gatehouse/logout?rd=/`);
    await page.click('form button[type=submit]');
    await page.goto(`${base}/.gatehouse/login?rd=/private/pk`);
    await page.click('#passkey-login-button');
    await page.waitForSelector('.alert');
    assert.match(await page.textContent('.alert') ?? '', /That passkey was not accepted/);
    await inspect(page, 'login-passkey-refused');
  } finally {
    await context.close();
  }
});

test('without JavaScript: sign in, and ask for a reset link', { skip: !ready, timeout: 300_000 }, async () => {
  const email = address('nojs');
  await register(world.gh, email);
  const { context, page } = await newPage({ javaScriptEnabled: false });
  try {
    await page.goto(`${base}/private/nojs`);
    assert.equal(await page.locator('#passkey-login-button').count(), 1, 'the passkey button is there, and says it needs JavaScript when used');
    await page.fill('#email', email);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/private/nojs`), page.click('form[action="/.gatehouse/login"] button[type=submit]')]);
    await page.goto(`${base}/.gatehouse/forgot-password`);
    await page.fill('#email', email);
    await page.click('form button[type=submit]');
    assert.match(await page.textContent('h1') ?? '', /Check your email/);
  } finally {
    await context.close();
  }
});

test('every page was checked', { skip: !ready }, () => {
  for (const name of ['login', 'login-error', 'forgot-password', 'forgot-password-error', 'forgot-password-sent', 'reset-password', 'reset-password-error',
    'reset-password-done', 'link-invalid', 'verify-email', 'verify-email-done', 'account', 'logout', 'totp-setup', 'totp-setup-error', 'recovery-codes',
    'second-factor', 'second-factor-error', 'account-notice', 'account-passkeys', 'second-factor-passkey', 'login-passkey-refused']) {
    assert.ok(checked.has(name), `${name} was screenshotted and checked with axe`);
  }
});

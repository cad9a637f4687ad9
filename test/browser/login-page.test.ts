// A person's path through the login page, in headless Chromium: protected page -> login form -> signed in ->
// back on the page, which shows the identity headers the upstream received. Uses the default cookie settings
// (__Host-gatehouse, Secure) on http://localhost, which browsers treat as a secure context.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createDemoApp } from '../../src/demo/demo-app.js';
import { sqliteDatabase, type TestDatabase } from '../store/databases.js';
import { startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { ARTIFACTS, browserAvailable, launchBrowser } from '../helpers/browser.js';

const ready = browserAvailable();

test('login page in a real browser: protected page -> sign in -> back on the page with identity headers', { skip: !ready, timeout: 90_000 }, async () => {
  let db: TestDatabase | undefined;
  let demo: Server | undefined;
  let gh: FullGatehouse | undefined;
  const browser = await launchBrowser();
  try {
    db = sqliteDatabase();
    demo = createDemoApp();
    await new Promise<void>((r) => demo!.listen(0, '127.0.0.1', r));
    const demoUrl = `http://127.0.0.1:${(demo.address() as AddressInfo).port}`;
    gh = await startFullGatehouse(db, { demo: demoUrl }, [
      { name: 'private', match: { path: '/private/' }, policy: 'authenticated', upstream: 'demo' },
      { name: 'public', match: { path: '/' }, policy: 'public', upstream: 'demo' },
    ], { server: { public_url: 'http://localhost' }, auth: { local: { registration: 'open' } } });
    const base = `http://localhost:${gh.port}`;
    const reg = await fetch(`${base}/.gatehouse/register`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'browser@example.com', password: 'a long enough passphrase', name: 'Browser User' }),
    });
    assert.equal(reg.status, 202);

    const page = await browser.newPage();
    await page.goto(`${base}/private/report?x=1`);
    assert.match(new URL(page.url()).pathname, /^\/\.gatehouse\/login$/, 'sent to the login page');
    assert.equal(new URL(page.url()).searchParams.get('rd'), '/private/report?x=1');
    await page.fill('input[name=email]', 'browser@example.com');
    await page.fill('input[name=password]', 'wrong password');
    await page.click('button[type=submit]');
    await page.waitForLoadState();
    assert.match(await page.textContent('body', { timeout: 5000 }) ?? '', /Wrong email or password/);
    await page.fill('input[name=password]', 'a long enough passphrase');
    await Promise.all([page.waitForURL(`${base}/private/report?x=1`), page.click('button[type=submit]')]);
    const text = await page.textContent('body') ?? '';
    assert.match(text, /A protected page/);
    assert.match(text, /x-auth-email\s*browser@example\.com/);
    assert.match(text, /x-auth-name\s*Browser User/);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === '__Host-gatehouse');
    assert.ok(session, 'the __Host- session cookie was accepted by the browser');
    assert.equal(session.httpOnly, true);
    assert.equal(session.secure, true);
    assert.equal(session.sameSite, 'Lax');
    await page.screenshot({ path: join(ARTIFACTS, 'login-landed.png'), fullPage: true });

    // Sign out through the confirm page (POST with its CSRF token), then the page asks to log in again.
    await page.goto(`${base}/.gatehouse/logout?rd=/`);
    await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
    await page.goto(`${base}/private/report`);
    assert.match(new URL(page.url()).pathname, /^\/\.gatehouse\/login$/);
  } finally {
    await browser.close();
    await gh?.stop();
    demo?.close();
    await db?.drop();
  }
});


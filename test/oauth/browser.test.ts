// A person's path through an OpenID provider, in headless Chromium: protected page -> the provider's own login page
// (oidc-provider's, on another origin) -> back on the protected page, which shows the identity headers the upstream
// received. Default cookie settings (__Host-, Secure) on http://localhost, which browsers treat as secure; the
// provider lives on 127.0.0.1, another site, so the return to the callback is a real cross-site navigation that
// must carry the SameSite=Lax transaction cookie.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createDemoApp } from '../../src/demo/demo-app.js';
import { sqliteDatabase, type TestDatabase } from '../store/databases.js';
import type { FullGatehouse } from '../helpers/full-gatehouse.js';
import { ARTIFACTS, browserAvailable, launchBrowser } from '../helpers/browser.js';
import { startTestIdp, type TestIdp } from '../helpers/oidc-provider.js';
import { pickPort, redirectUri, startOAuthGatehouse } from '../helpers/oidc-gatehouse.js';

const ready = browserAvailable();

test('OpenID login in a real browser: protected page -> provider login page -> back with identity headers', { skip: !ready, timeout: 90_000 }, async () => {
  let db: TestDatabase | undefined;
  let demo: Server | undefined;
  let idp: TestIdp | undefined;
  let gh: FullGatehouse | undefined;
  const browser = await launchBrowser();
  try {
    db = sqliteDatabase();
    demo = createDemoApp();
    await new Promise<void>((r) => demo!.listen(0, '127.0.0.1', r));
    const demoUrl = `http://127.0.0.1:${(demo.address() as AddressInfo).port}`;
    const port = await pickPort();
    const base = `http://localhost:${port}`;
    idp = await startTestIdp({
      accounts: { 'browser-user': { email: 'browser@example.com', email_verified: true, name: 'Browser User', groups: ['admins'] } },
      clients: [{ client_id: 'browser-client', client_secret: 'browser-secret-0123456789', redirect_uris: [redirectUri(base, 'corp')] }],
    });
    gh = await startOAuthGatehouse(db, port, { demo: demoUrl }, [
      { name: 'private', match: { path: '/private/' }, policy: 'authenticated', upstream: 'demo' },
      { name: 'public', match: { path: '/' }, policy: 'public', upstream: 'demo' },
    ], {
      sessions: { cookie: { secure: true, name: '__Host-gatehouse' } },
      auth: {
        default_provider: 'corp',
        providers: [{
          id: 'corp', type: 'oidc', label: 'Corp SSO', issuer: idp.issuer, client_id: 'browser-client', client_secret: 'browser-secret-0123456789',
          scopes: ['openid', 'email', 'profile', 'groups'], allowed_email_domains: ['example.com'], role_mapping: { groups: { admins: ['admin'] } },
        }],
      },
    }, {}, 'localhost');

    const page = await browser.newPage();
    await page.goto(`${base}/private/report?x=1`);
    assert.equal(new URL(page.url()).origin, idp.issuer, 'sent straight to the provider (auth.default_provider)');
    assert.ok(await page.isVisible('input[name=login]'), 'the provider\'s own login page');
    await page.screenshot({ path: join(ARTIFACTS, 'oauth-provider-login.png'), fullPage: true });
    await page.fill('input[name=login]', 'browser-user');
    await page.fill('input[name=password]', 'any password');
    await Promise.all([page.waitForURL(`${base}/private/report?x=1`), page.click('button[type=submit]')]);
    const text = await page.textContent('body') ?? '';
    assert.match(text, /A protected page/);
    assert.match(text, /x-auth-email\s*browser@example\.com/);
    assert.match(text, /x-auth-name\s*Browser User/);
    assert.match(text, /x-auth-roles\s*admin/);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === '__Host-gatehouse');
    assert.ok(session, 'the __Host- session cookie was accepted');
    assert.equal(session.httpOnly, true);
    assert.equal(session.secure, true);
    assert.ok(!cookies.some((c) => c.name.startsWith('__Host-gatehouse-oauth-')), 'the transaction cookie is gone');
    await page.screenshot({ path: join(ARTIFACTS, 'oauth-landed.png'), fullPage: true });
  } finally {
    await browser.close();
    await gh?.stop();
    await idp?.close();
    demo?.close();
    await db?.drop();
  }
});

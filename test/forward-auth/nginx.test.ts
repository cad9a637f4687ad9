// Forward-auth behind a real nginx (Debian's, with auth_request) in front of a real upstream, configured as
// docs/forward-auth.md says: Gatehouse's pages on the protected host itself (one host, host-only __Host-style
// cookie), the auth subrequest to /.gatehouse/authz/nginx, error_page 401 to the sign-in start.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { send } from '../helpers/core-net.js';
import { freePort, startNginx, type RunningIngress } from '../helpers/ingress-proxies.js';
import { CrossHostBrowser } from '../helpers/cross-host-browser.js';
import { logIn, PASSWORD } from '../api/api-helpers.js';
import { nginxServer } from './ingress-configs.js';
import { APP_HOST, SPOOFED, cacheHits, fromAddress, identitySeen, ingressAvailable, startWorld, storeCalls, type World } from './setup.js';

if (ingressAvailable('nginx')) {
  describe('forward-auth through nginx auth_request', () => {
    let world: World;
    let nginx: RunningIngress;
    let site: string;

    before(async () => {
      const port = await freePort();
      site = `http://${APP_HOST}:${port}`;
      world = await startWorld({
        server: { public_url: site, trusted_proxies: ['127.0.0.1'] },
        sessions: { cookie: { secure: false, name: 'gh_session' } },
      });
      nginx = await startNginx(port, nginxServer({ listen: port, serverName: APP_HOST, gatehouse: `127.0.0.1:${world.gh.port}`, app: `127.0.0.1:${world.upstream.port}` }));
    });
    after(async () => {
      await nginx?.stop();
      await world?.gh.stop();
      await world?.upstream.close();
    });

    const browser = (): CrossHostBrowser => new CrossHostBrowser({ [APP_HOST]: nginx.port });
    const api = (path: string, headers: Record<string, string> = {}) =>
      send(nginx.port, { path, headers: { host: `${APP_HOST}:${nginx.port}`, accept: 'application/json', ...headers } });

    test('an anonymous browser signs in and lands on the original URL, and the app sees who it is', async () => {
      const b = browser();
      const original = `${site}/reports/q3?year=2026&sort=desc`;
      const login = await b.open(original);
      assert.equal(login.status, 200, `${b.history.join('\n')}\n${login.body.slice(0, 300)}`);
      assert.match(login.url, /\/\.gatehouse\/login\?rd=/);
      assert.equal(new URL(login.url).searchParams.get('rd'), original, 'the sign-in returns to the original absolute URL');
      const before = world.upstream.requests.length;
      const landed = await b.submit(login, '/.gatehouse/login', { email: world.user.email, password: PASSWORD });
      assert.equal(landed.status, 200, `${b.history.join('\n')}\n${landed.body.slice(0, 300)}`);
      assert.equal(landed.url, original, 'back on the original URL');
      const seen = world.upstream.requests.slice(before).at(-1)!;
      assert.equal(seen.url, '/reports/q3?year=2026&sort=desc');
      assert.equal(seen.headers['x-auth-user-id'], world.user.id);
      assert.equal(seen.headers['x-auth-email'], world.user.email);
      assert.equal(seen.headers.cookie?.includes('gh_session'), true, 'nginx passes cookies on (the docs say how to strip them)');
    });

    test('an API client gets 401 JSON with a Bearer challenge, not a redirect', async () => {
      const answer = await api('/reports/q3');
      assert.equal(answer.status, 401, answer.body);
      assert.equal(JSON.parse(answer.body).error, 'unauthenticated');
      assert.match(String(answer.headers['www-authenticate']), /^Bearer realm="gatehouse"/);
    });

    test('role and organization policies answer 403; the right role or org passes', async () => {
      const userToken = await logIn(world.gh, world.user.email);
      const adminToken = await logIn(world.gh, world.admin.email);
      const memberToken = await logIn(world.gh, world.member.email);
      assert.equal((await api('/admin/x', { authorization: `Bearer ${userToken}` })).status, 403);
      assert.equal((await api('/acme/x', { authorization: `Bearer ${userToken}` })).status, 403);
      assert.equal((await api('/admin/x', { authorization: `Bearer ${adminToken}` })).status, 200);
      const before = world.upstream.requests.length;
      assert.equal((await api('/acme/x', { authorization: `Bearer ${memberToken}` })).status, 200);
      assert.equal(world.upstream.requests.slice(before).at(-1)!.headers['x-auth-orgs'], 'acme:owner');
    });

    test('spoofed identity headers from the client never reach the app', async () => {
      const token = await logIn(world.gh, world.user.email);
      for (const [path, auth] of [['/public/page', undefined], ['/reports/x', token]] as const) {
        const before = world.upstream.requests.length;
        const answer = await api(path, { ...SPOOFED, ...(auth ? { authorization: `Bearer ${auth}` } : {}) });
        assert.equal(answer.status, 200, answer.body);
        const seen = identitySeen(world.upstream.requests.slice(before).at(-1)!);
        if (auth === undefined) assert.deepEqual(seen, {}, 'anonymous on a public route: no identity header at all');
        else {
          // Gatehouse's values only: nginx does not send a header whose value is empty (this user has no roles).
          assert.deepEqual(seen, {
            'X-Auth-User-Id': world.user.id, 'X-Auth-Email': world.user.email, 'X-Auth-Name': 'user', 'X-Auth-Email-Verified': 'false', 'X-Auth-Amr': 'pwd',
          });
        }
      }
    });

    test('a cached session check reads nothing from the store and answers with an empty body', async () => {
      const token = await logIn(world.gh, world.user.email);
      await api('/reports/warm', { authorization: `Bearer ${token}` });
      const calls = await storeCalls(world.gh.adminPort);
      const hits = await cacheHits(world.gh.adminPort);
      for (let i = 0; i < 20; i++) assert.equal((await api(`/reports/${i}`, { authorization: `Bearer ${token}` })).status, 200);
      assert.equal(await storeCalls(world.gh.adminPort), calls, 'no store call for 20 cached forward-auth checks');
      assert.ok(await cacheHits(world.gh.adminPort) >= hits + 20);
      // The counter does count session reads: with the cache emptied, the next check reads the store.
      world.gh.auth.sessions.cache.clear();
      assert.equal((await api('/reports/miss', { authorization: `Bearer ${token}` })).status, 200);
      assert.ok(await storeCalls(world.gh.adminPort) > calls, 'a cache miss shows up as a store read');
      // The answer nginx gets: 200, identity headers, no body.
      const direct = await send(world.gh.port, { path: '/.gatehouse/authz/nginx', headers: {
        'x-original-url': `${site}/reports/1`, 'x-original-method': 'GET', authorization: `Bearer ${token}`,
      } });
      assert.equal(direct.status, 200);
      assert.equal(direct.body, '');
      assert.equal(direct.headers['content-length'], '0');
      assert.equal(direct.headers['x-auth-user-id'], world.user.id);
    });

    test('logout ends access', async () => {
      const b = browser();
      const login = await b.open(`${site}/reports/a`);
      const landed = await b.submit(login, '/.gatehouse/login', { email: world.user.email, password: PASSWORD });
      assert.equal(landed.status, 200);
      const confirm = await b.open(`${site}/.gatehouse/logout`);
      const out = await b.submit(confirm, '/.gatehouse/logout', {});
      assert.equal(out.status, 200, b.history.join('\n'));
      assert.equal(b.cookiesFor(APP_HOST).some((c) => c.name === 'gh_session'), false, 'the cookie is cleared');
      const again = await b.open(`${site}/reports/a`);
      assert.match(again.url, /\/\.gatehouse\/login\?rd=/, 'signed out: back to the login page');
    });

    test('forward-auth requests from outside trusted_proxies are refused, whatever they claim', async () => {
      const token = await logIn(world.gh, world.user.email);
      const forged = (headers: string[]): string => [`GET /.gatehouse/authz HTTP/1.1`, `Host: ${APP_HOST}`, `Authorization: Bearer ${token}`, ...headers, 'Connection: close', '', ''].join('\r\n');
      for (const headers of [
        ['X-Forwarded-Method: GET', 'X-Forwarded-Proto: https', `X-Forwarded-Host: ${APP_HOST}`, 'X-Forwarded-Uri: /admin/secret'],
        [`X-Original-URL: http://${APP_HOST}/admin/secret`, 'X-Original-Method: GET'],
      ]) {
        const answer = await fromAddress('127.0.0.2', world.gh.port, forged(headers));
        assert.equal(answer.status, 403, answer.raw.slice(0, 300));
        assert.equal(JSON.parse(answer.body).error, 'forward_auth_untrusted');
      }
      // From the trusted address, the same forged question is answered on its merits (a user without the role: 403).
      const trusted = await fromAddress('127.0.0.1', world.gh.port, forged([`X-Original-URL: http://${APP_HOST}/admin/secret`, 'X-Original-Method: GET']).replace('/.gatehouse/authz ', '/.gatehouse/authz/nginx '));
      assert.equal(trusted.status, 403);
      assert.doesNotMatch(trusted.body, /forward_auth_untrusted/);
      // Clients cannot reach the authz locations through nginx either (internal).
      assert.equal((await api('/.gatehouse/authz/nginx', { 'x-original-url': `http://${APP_HOST}/admin/x`, 'x-original-method': 'GET' })).status, 404);
    });

    test('a request that names no original request is a 400 with a JSON reason', async () => {
      const answer = await send(world.gh.port, { path: '/.gatehouse/authz/nginx', headers: { 'x-original-method': 'GET' } });
      assert.equal(answer.status, 400);
      assert.equal(JSON.parse(answer.body).error, 'forward_auth_bad_request');
      const unknown = await send(world.gh.port, { path: '/.gatehouse/authz/haproxy' });
      assert.equal(unknown.status, 404);
    });
  });
}

// The request shapes of each ingress, sent to a whole Gatehouse (SQLite) as the ingress would send them, for the
// ones not started in tests: Envoy's ext_authz HTTP service (Envoy v1.28-v1.34 docs of
// envoy.extensions.filters.http.ext_authz.v3 `http_service`: original method, `path_prefix` + original path and
// query, Host, Authorization, Content-Length 0, plus `allowed_headers`) and Traefik's forwardAuth (Traefik v3
// middleware docs: GET to `address` with X-Forwarded-Method, -Proto, -Host, -Uri, -For and the client's headers).
// Also: dialect detection, the nginx answer shapes, the sign-in start, refusals, and sessions.cookie.domain.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { send, startUpstream, type TestUpstream } from '../helpers/core-net.js';
import { startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { sqliteDatabase } from '../store/databases.js';
import { logIn, PASSWORD, signUp, type TestUser } from '../api/api-helpers.js';
import { parseConfigText } from '../../src/config/index.js';
import { APP_HOST, fromAddress, protectedRoutes } from './setup.js';
import { authzPath } from '../../src/server/forward-auth-dialects.js';

describe('forward-auth dialects', () => {
  let upstream: TestUpstream;
  let gh: FullGatehouse;
  let user: TestUser;
  let token: string;

  before(async () => {
    upstream = await startUpstream('app');
    gh = await startFullGatehouse(sqliteDatabase(), { app: upstream.url }, protectedRoutes(APP_HOST), {
      server: { public_url: 'https://auth.gatehouse.test', trusted_proxies: ['127.0.0.1'] },
      auth: { local: { registration: 'open' } },
      sessions: { cookie: { domain: 'gatehouse.test' } },
    });
    user = await signUp(gh, 'user');
    token = await logIn(gh, user.email);
  });
  after(async () => {
    await gh?.stop();
    await upstream?.close();
  });

  const authz = (path: string, headers: Record<string, string>, method = 'GET') => send(gh.port, { method, path, headers });

  describe('Envoy ext_authz (HTTP service)', () => {
    const envoy = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
      authz(`/.gatehouse/authz/envoy${path}`, { host: APP_HOST, 'content-length': '0', 'x-forwarded-proto': 'https', 'x-envoy-internal': 'true', 'x-request-id': 'a1b2', ...headers }, method);

    test('an allowed request: 200, the identity headers for allowed_upstream_headers, no body', async () => {
      const answer = await envoy('/reports/q3?year=2026', { authorization: `Bearer ${token}` });
      assert.equal(answer.status, 200);
      assert.equal(answer.body, '');
      assert.equal(answer.headers['x-auth-user-id'], user.id);
      assert.equal(answer.headers['x-auth-email'], user.email);
    });

    test('an Upgrade offer is judged as the proxy judges it: h2c is refused (400), alone or beside websocket', async () => {
      for (const offer of ['h2c', 'websocket, h2c']) {
        const answer = await envoy('/reports/q3', { authorization: `Bearer ${token}`, upgrade: offer });
        assert.equal(answer.status, 400, offer);
        assert.equal(JSON.parse(answer.body).code, 'GATE_ERR_BAD_REQUEST', offer);
      }
    });

    test('the original method is judged (Envoy keeps it): a public POST passes, the path prefix alone is "/"', async () => {
      assert.equal((await envoy('/public/form', {}, 'POST')).status, 200);
      const root = await envoy('', { authorization: `Bearer ${token}` });
      assert.equal(root.status, 200, 'the prefix alone asks about "/" (the authenticated catch-all)');
    });

    test('an anonymous browser is sent to sign in with rd on the original https URL; an API client gets 401', async () => {
      const browser = await envoy('/reports/q3?year=2026', { accept: 'text/html' });
      assert.equal(browser.status, 302);
      const location = new URL(String(browser.headers.location));
      assert.equal(location.origin + location.pathname, 'https://auth.gatehouse.test/.gatehouse/login');
      assert.equal(location.searchParams.get('rd'), `https://${APP_HOST}/reports/q3?year=2026`);
      const apiClient = await envoy('/reports/q3', { accept: 'application/json' });
      assert.equal(apiClient.status, 401);
      assert.equal(JSON.parse(apiClient.body).error, 'unauthenticated');
      assert.match(String(apiClient.headers['www-authenticate']), /^Bearer /);
    });

    test('policy refusals and bad paths are relayed as in proxy mode', async () => {
      assert.equal((await envoy('/admin/x', { authorization: `Bearer ${token}` })).status, 403);
      const bad = await envoy('/public/..%2fadmin/x', { authorization: `Bearer ${token}` });
      assert.equal(bad.status, 400);
      assert.equal(JSON.parse(bad.body).error, 'bad_path');
      // /public/../admin/x, appended to the prefix, is judged as /admin/x: the prefix is not part of the path.
      assert.equal((await envoy('/public/../admin/x', { authorization: `Bearer ${token}` })).status, 403);
      const otherHost = await envoy('/reports/x', { host: 'other.gatehouse.test', authorization: `Bearer ${token}` });
      assert.equal(otherHost.status, 404, 'a Host no route names');
    });
  });

  describe('Traefik forwardAuth', () => {
    const traefik = (uri: string, headers: Record<string, string> = {}, path = '/.gatehouse/authz/traefik') => authz(path, {
      host: '127.0.0.1:4180', 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': APP_HOST,
      'x-forwarded-uri': uri, 'x-forwarded-for': '203.0.113.7', 'user-agent': 'Mozilla/5.0', ...headers,
    });

    test('200 with the identity headers for authResponseHeadersRegex; 302 for browsers; 401 for API clients; 403', async () => {
      const ok = await traefik('/reports/x', { cookie: `__Secure-gatehouse=${token}` });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['x-auth-user-id'], user.id);
      const browser = await traefik('/reports/x', { accept: 'text/html,application/xhtml+xml' });
      assert.equal(browser.status, 302);
      assert.equal(new URL(String(browser.headers.location)).searchParams.get('rd'), `https://${APP_HOST}/reports/x`);
      assert.equal((await traefik('/reports/x', { accept: 'application/json' })).status, 401);
      assert.equal((await traefik('/admin/x', { authorization: `Bearer ${token}` })).status, 403);
    });

    test('the bare /.gatehouse/authz detects the dialect from the headers', async () => {
      assert.equal((await traefik('/reports/x', { authorization: `Bearer ${token}` }, '/.gatehouse/authz')).status, 200);
      const browser = await traefik('/reports/x', { accept: 'text/html' }, '/.gatehouse/authz');
      assert.equal(browser.status, 302);
      const nginx = await authz('/.gatehouse/authz', { 'x-original-url': `https://${APP_HOST}/reports/x`, 'x-original-method': 'GET', accept: 'text/html' });
      assert.equal(nginx.status, 401, 'nginx form: 401 even for a browser (error_page does the redirect)');
      assert.equal(nginx.body, '');
      const none = await authz('/.gatehouse/authz', {});
      assert.equal(none.status, 400);
      assert.equal(JSON.parse(none.body).error, 'forward_auth_bad_request');
    });

    test('missing or doubled forwarding headers are refused, not guessed', async () => {
      for (const drop of ['x-forwarded-method', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-uri']) {
        const headers: Record<string, string | string[]> = {
          'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': APP_HOST, 'x-forwarded-uri': '/public/x',
        };
        delete headers[drop];
        const answer = await send(gh.port, { path: '/.gatehouse/authz/traefik', headers });
        assert.equal(answer.status, 400, drop);
      }
      const doubled = await send(gh.port, { path: '/.gatehouse/authz/traefik', headers: {
        'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': APP_HOST, 'x-forwarded-uri': ['/public/x', '/admin/x'],
      } });
      assert.notEqual(doubled.status, 200, 'two X-Forwarded-Uri: never allowed');
    });
  });

  describe('nginx and the sign-in start', () => {
    test('nginx refusals are 401 or 403 with no body (auth_request turns anything else into a 500)', async () => {
      const nginx = (url: string, headers: Record<string, string> = {}) => authz('/.gatehouse/authz/nginx', { 'x-original-url': url, 'x-original-method': 'GET', ...headers });
      const bad = await nginx(`https://${APP_HOST}/public/..%2fadmin/x`);
      assert.deepEqual([bad.status, bad.body, bad.headers['x-gatehouse-error']], [403, '', 'GATE_ERR_BAD_PATH']);
      const none = await nginx('https://other.gatehouse.test/x');
      assert.deepEqual([none.status, none.body], [403, '']);
      const own = await nginx(`https://${APP_HOST}/.gatehouse/login`);
      assert.equal(own.status, 403, 'Gatehouse paths are never allowed through forward-auth');
    });

    test('/start: a trusted X-Original-URL is judged and answered as the client expects; ?rd= from anyone is a sign-in link', async () => {
      const start = (headers: Record<string, string>, path = '/.gatehouse/authz/start') => authz(path, headers);
      const browser = await start({ 'x-original-url': `https://${APP_HOST}/reports/x`, 'x-original-method': 'GET', accept: 'text/html' });
      assert.equal(browser.status, 302);
      assert.equal(new URL(String(browser.headers.location)).searchParams.get('rd'), `https://${APP_HOST}/reports/x`);
      const apiClient = await start({ 'x-original-url': `https://${APP_HOST}/reports/x`, 'x-original-method': 'GET', accept: 'application/json' });
      assert.equal(apiClient.status, 401);
      const signedIn = await start({ 'x-original-url': `https://${APP_HOST}/reports/x`, 'x-original-method': 'GET', accept: 'text/html', authorization: `Bearer ${token}` });
      assert.deepEqual([signedIn.status, signedIn.headers.location], [302, `https://${APP_HOST}/reports/x`]);
      const link = await fromAddress('127.0.0.2', gh.port, `GET /.gatehouse/authz/start?rd=${encodeURIComponent(`https://${APP_HOST}/x`)} HTTP/1.1\r\nHost: auth.gatehouse.test\r\nConnection: close\r\n\r\n`);
      assert.equal(link.status, 302);
      assert.match(link.raw, /location: https:\/\/auth\.gatehouse\.test\/\.gatehouse\/login\?rd=https%3A%2F%2Fapp\.gatehouse\.test%2Fx/i);
    });

    test('paths under /.gatehouse/authz that name no dialect are 404; look-alikes are ordinary reserved paths', () => {
      assert.equal(authzPath('/.gatehouse/authz/haproxy'), 'unknown');
      assert.deepEqual(authzPath('/.gatehouse/authz?x=1'), { dialect: undefined });
      assert.deepEqual(authzPath('/.gatehouse/authz/envoy?x=1'), { dialect: 'envoy', envoyTarget: '/?x=1' });
      assert.deepEqual(authzPath('/.gatehouse/authz/envoy/a/b'), { dialect: 'envoy', envoyTarget: '/a/b' });
      assert.equal(authzPath('/.gatehouse/authzx'), undefined);
      assert.equal(authzPath('/.gatehouse/authz/envoyx'), 'unknown');
      assert.equal(authzPath('/.Gatehouse/authz'), undefined);
    });
  });

  describe('sessions.cookie.domain', () => {
    const base = { upstreams: { app: { url: 'http://127.0.0.1:1' } }, routes: [{ name: 'all', match: { path: '/' }, policy: 'public', upstream: 'app' }] };

    test('the cookie name defaults to __Secure-gatehouse with a domain, __Host-gatehouse without', () => {
      assert.equal(parseConfigText(stringify(base), {}).sessions.cookie.name, '__Host-gatehouse');
      assert.equal(parseConfigText(stringify({ ...base, sessions: { cookie: { domain: 'example.com' } } }), {}).sessions.cookie.name, '__Secure-gatehouse');
    });

    test('a __Host- name with a domain, or a domain that is not a DNS name, is refused naming the setting', () => {
      assert.throws(() => parseConfigText(stringify({ ...base, sessions: { cookie: { domain: 'example.com', name: '__Host-x' } } }), {}), /sessions\.cookie\.name.*__Host-/s);
      assert.throws(() => parseConfigText(stringify({ ...base, sessions: { cookie: { domain: '.example.com' } } }), {}), /sessions\.cookie\.domain/);
    });

    test('a login sets the session cookie on the domain', async () => {
      const answer = await send(gh.port, { method: 'POST', path: '/.gatehouse/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password: PASSWORD }) });
      assert.equal(answer.status, 200);
      const cookie = ([] as string[]).concat(answer.headers['set-cookie'] ?? []).find((c) => c.startsWith('__Secure-gatehouse='));
      assert.match(String(cookie), /; Domain=gatehouse\.test/);
      assert.match(String(cookie), /; Secure/);
    });
  });
});

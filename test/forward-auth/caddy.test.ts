// Forward-auth behind a real Caddy (Debian's, forward_auth) in front of a real upstream, with Gatehouse on its own
// host (auth.gatehouse.test) and the session cookie shared with the protected host through sessions.cookie.domain:
// the sign-in crosses hosts and comes back. Configured as docs/forward-auth.md says.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { send } from '../helpers/core-net.js';
import { caddyBinary, freePort, startCaddy, type RunningIngress } from '../helpers/ingress-proxies.js';
import { CrossHostBrowser, decodeEntities } from '../helpers/cross-host-browser.js';
import { logIn, PASSWORD } from '../api/api-helpers.js';
import { caddyfile } from './ingress-configs.js';
import { APP_HOST, AUTH_HOST, SPOOFED, identitySeen, ingressAvailable, startWorld, type World } from './setup.js';

if (ingressAvailable('caddy') && caddyBinary() !== undefined) {
  describe('forward-auth through Caddy forward_auth, signing in on another host', () => {
    let world: World;
    let caddy: RunningIngress;
    let site: string;
    let auth: string;

    before(async () => {
      const port = await freePort();
      site = `http://${APP_HOST}:${port}`;
      world = await startWorld({
        // The auth host's port is not known before Gatehouse listens: public_url names it through a fixed port.
        server: { public_url: `http://${AUTH_HOST}`, trusted_proxies: ['127.0.0.1'] },
        sessions: { cookie: { secure: false, name: 'gh_session', domain: 'gatehouse.test' } },
      });
      auth = `http://${AUTH_HOST}`;
      caddy = await startCaddy(port, caddyfile({ listen: port, siteHost: APP_HOST, gatehouse: `127.0.0.1:${world.gh.port}`, app: `127.0.0.1:${world.upstream.port}` }));
    });
    after(async () => {
      await caddy?.stop();
      await world?.gh.stop();
      await world?.upstream.close();
    });

    // auth.gatehouse.test (port 80 in its URLs) resolves to Gatehouse; app.gatehouse.test:<port> to Caddy.
    const browser = (): CrossHostBrowser => new CrossHostBrowser({ [APP_HOST]: caddy.port, [AUTH_HOST]: world.gh.port });
    const api = (path: string, headers: Record<string, string> = {}) =>
      send(caddy.port, { path, headers: { host: `${APP_HOST}:${caddy.port}`, accept: 'application/json', ...headers } });

    test('an anonymous browser goes to the login page on the auth host and comes back to the original URL', async () => {
      const b = browser();
      const original = `${site}/reports/q3?year=2026`;
      const login = await b.open(original);
      assert.equal(login.status, 200, `${b.history.join('\n')}\n${login.body.slice(0, 300)}`);
      assert.equal(new URL(login.url).host, AUTH_HOST, 'Caddy relays the 302 to the auth host');
      assert.equal(new URL(login.url).searchParams.get('rd'), original);
      const before = world.upstream.requests.length;
      const landed = await b.submit(login, '/.gatehouse/login', { email: world.user.email, password: PASSWORD });
      assert.equal(landed.status, 200, `${b.history.join('\n')}\n${landed.body.slice(0, 300)}`);
      assert.equal(landed.url, original, 'back on the original URL on the protected host');
      const cookie = b.jar.find((c) => c.name === 'gh_session')!;
      assert.deepEqual({ domain: cookie.domain, hostOnly: cookie.hostOnly }, { domain: 'gatehouse.test', hostOnly: false });
      const seen = world.upstream.requests.slice(before).at(-1)!;
      assert.equal(seen.url, '/reports/q3?year=2026');
      assert.equal(seen.headers['x-auth-user-id'], world.user.id);
    });

    test('an API client gets 401 JSON with the challenge, relayed by Caddy', async () => {
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
      const org = await api('/acme/x', { authorization: `Bearer ${userToken}` });
      assert.equal(org.status, 403);
      assert.equal(JSON.parse(org.body).error, 'forbidden');
      assert.equal((await api('/admin/x', { authorization: `Bearer ${adminToken}` })).status, 200);
      assert.equal((await api('/acme/x', { authorization: `Bearer ${memberToken}` })).status, 200);
    });

    test('spoofed identity headers from the client never reach the app', async () => {
      const token = await logIn(world.gh, world.user.email);
      for (const auth of [undefined, token]) {
        const before = world.upstream.requests.length;
        const answer = await api(auth === undefined ? '/public/page' : '/reports/x', { ...SPOOFED, ...(auth ? { authorization: `Bearer ${auth}` } : {}) });
        assert.equal(answer.status, 200, answer.body);
        const seen = identitySeen(world.upstream.requests.slice(before).at(-1)!);
        const values = Object.values(seen);
        for (const spoofed of Object.values(SPOOFED)) assert.ok(!values.includes(spoofed) || spoofed === 'false', `spoofed ${spoofed} reached the app: ${JSON.stringify(seen)}`);
        assert.equal(Object.keys(seen).some((k) => k.includes('_')), false, `underscore spelling reached the app: ${JSON.stringify(seen)}`);
        // Anonymous: Gatehouse states "nobody" as empty values (Caddy 2.6-2.8 would copy a missing one as placeholder text).
        if (auth === undefined) assert.deepEqual(Object.values(seen).filter((v) => v !== ''), [], JSON.stringify(seen));
        else assert.equal(seen['X-Auth-User-Id'], world.user.id);
      }
    });

    test('logout on the auth host clears the shared cookie and ends access on the protected host', async () => {
      const b = browser();
      const login = await b.open(`${site}/reports/a`);
      assert.equal((await b.submit(login, '/.gatehouse/login', { email: world.user.email, password: PASSWORD })).status, 200);
      const confirm = await b.open(`${auth}/.gatehouse/logout`);
      const out = await b.request('POST', `${auth}/.gatehouse/logout`, new URLSearchParams({
        csrf: decodeEntities(/name="csrf" value="([^"]+)"/.exec(confirm.body)![1]!), rd: '/',
      }).toString(), { 'content-type': 'application/x-www-form-urlencoded', origin: auth });
      assert.equal(out.status, 303);
      const cleared = ([] as string[]).concat(out.headers['set-cookie'] ?? []).filter((c) => c.startsWith('gh_session='));
      assert.equal(cleared.length, 2, 'the domain cookie and a host-only one are both cleared');
      assert.ok(cleared.some((c) => /Domain=gatehouse\.test/.test(c)) && cleared.some((c) => !/Domain=/.test(c)));
      assert.equal(b.cookiesFor(APP_HOST).some((c) => c.name === 'gh_session'), false);
      const again = await b.open(`${site}/reports/a`);
      assert.equal(new URL(again.url).pathname, '/.gatehouse/login', 'signed out on the protected host too');
    });

    test('rd after sign-in goes only to the protected hosts and allowed hosts: open-redirect classes fall back to "/"', async () => {
      const cases: [string, string][] = [
        [`${site}/reports/x`, `${site}/reports/x`],
        ['http://evil.test/', '/'],
        [`http://${APP_HOST}.evil.test/`, '/'],
        [`http://evil${APP_HOST}/`, '/'],
        [`http://${APP_HOST}@evil.test/`, '/'],
        [`http://evil.test\\@${APP_HOST}/`, '/'],
        [`http://evil.test\\${APP_HOST}/`, '/'],
        ['//evil.test/', '/'],
        ['/\\evil.test', '/'],
        ['http:evil.test', '/'],
        ['http%3A%2F%2Fevil.test%2F', '/'],
        ['%2F%2Fevil.test', '/'],
        [`http://\u0430pp.gatehouse.test/`, '/'], // Cyrillic а: xn--pp-8cd... is another host
        ['javascript:alert(1)', '/'],
        [`http://${APP_HOST}%09/`, '/'],
      ];
      const problems: string[] = [];
      for (const [rd, want] of cases) {
        const page = await send(world.gh.port, { path: `/.gatehouse/login?rd=${encodeURIComponent(rd)}`, headers: { host: AUTH_HOST, accept: 'text/html' } });
        const got = decodeEntities(/name="rd" value="([^"]*)"/.exec(page.body)?.[1] ?? '(no rd field)');
        if (got !== want) problems.push(`${JSON.stringify(rd)} -> ${JSON.stringify(got)} (want ${JSON.stringify(want)})`);
      }
      assert.deepEqual(problems, []);
    });
  });
}

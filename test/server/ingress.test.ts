// The ingress pipeline end to end: the reserved /.gatehouse/ prefix, no-match 404, deny 403, the unauthenticated
// answers (302 to the login page for browsers, 401 JSON for APIs), and load shedding past max_in_flight.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  configObject, eventually, rawExchange, rawGet, sample, send, startGatehouse, startUpstream, validConfig,
  type RunningGatehouse, type TestUpstream,
} from '../helpers/core-net.js';

describe('routing decisions', () => {
  let app: TestUpstream;
  let gh: RunningGatehouse;
  before(async () => {
    app = await startUpstream('app');
    gh = await startGatehouse(validConfig(configObject({ app: app.url }, [
      { name: 'closed', match: { path: '/closed/' }, policy: 'deny' },
      { name: 'closed-with-upstream', match: { path: '/closed2/' }, policy: 'deny', upstream: 'app' },
      { name: 'private', match: { path: '/private/' }, policy: 'authenticated', upstream: 'app' },
      { name: 'admins', match: { path: '/admins/' }, policy: { roles: ['admin'] }, upstream: 'app' },
      { name: 'read-only', match: { path: '/ro/', methods: ['GET', 'HEAD'] }, policy: 'public', upstream: 'app' },
      { name: 'site', match: { host: 'site.test' }, policy: 'public', upstream: 'app' },
    ])));
  });
  after(async () => {
    await gh.close();
    await app.close();
  });

  test('no route matches: 404 JSON and the upstream is not contacted', async () => {
    const before = app.requests.length;
    for (const [path, headers] of [['/nothing/here', {}], ['/ro/x', {}], ['/', { host: 'other.test' }]] as const) {
      const r = await send(gh.port, { path, headers, method: path === '/ro/x' ? 'POST' : 'GET' });
      assert.equal(r.status, 404, path);
      assert.equal(JSON.parse(r.body).code, 'GATE_ERR_NOT_FOUND');
    }
    assert.equal(app.requests.length, before);
  });

  test('deny: 403 and the upstream is not contacted (with or without an upstream configured)', async () => {
    const before = app.requests.length;
    for (const path of ['/closed/x', '/closed2/x', '/closed']) {
      const r = await send(gh.port, { path });
      assert.equal(r.status, 403, path);
      assert.equal(JSON.parse(r.body).error, 'forbidden');
    }
    const page = await send(gh.port, { path: '/closed/x', headers: { accept: 'text/html' } });
    assert.equal(page.status, 403);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(app.requests.length, before);
  });

  test('authenticated, browser: 302 to /.gatehouse/login?rd=<path and query>', async () => {
    for (const path of ['/private/x?a=1&b=two%20words', '/admins/']) {
      const r = await send(gh.port, { path, headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      assert.equal(r.status, 302, path);
      const location = new URL(String(r.headers.location), 'http://gatehouse.test');
      assert.equal(location.pathname, '/.gatehouse/login');
      assert.equal(location.searchParams.get('rd'), path);
      assert.equal(r.headers['cache-control'], 'no-store');
    }
    const head = await send(gh.port, { method: 'HEAD', path: '/private/x', headers: { accept: 'text/html' } });
    assert.equal(head.status, 302);
  });

  test('authenticated, API client: 401 JSON with WWW-Authenticate', async () => {
    for (const [method, accept] of [['GET', 'application/json'], ['GET', '*/*'], ['POST', 'application/json'], ['GET', '']] as const) {
      const r = await send(gh.port, { method, path: '/private/x', headers: { accept } });
      assert.equal(r.status, 401, `${method} ${accept}`);
      assert.match(String(r.headers['www-authenticate']), /^Bearer /);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      assert.equal(JSON.parse(r.body).error, 'unauthenticated');
    }
  });

  test('authenticated, browser POST: 401 (a page, not a redirect that would turn it into a GET)', async () => {
    const r = await send(gh.port, { method: 'POST', path: '/private/form', headers: { accept: 'text/html' }, body: 'a=1' });
    assert.equal(r.status, 401);
    assert.match(String(r.headers['www-authenticate']), /^Bearer /);
  });

  test('the rd of a login redirect is the normalised path, so it cannot carry a bypass spelling', async () => {
    const r = await rawExchange(gh.port, rawGet('/ro/../private/%2e%2e/private/y?q=1', { accept: 'text/html' }));
    assert.equal(r.status, 302);
    assert.equal(new URL(r.headers['location']!, 'http://x').searchParams.get('rd'), '/private/y?q=1');
  });

  test('a methods-limited route passes its methods and HEAD', async () => {
    assert.equal((await send(gh.port, { path: '/ro/x' })).status, 200);
    assert.equal((await send(gh.port, { method: 'HEAD', path: '/ro/x' })).status, 200);
  });

  test('host routes ignore case, a trailing dot and the port', async () => {
    for (const host of ['site.test', 'SITE.test', 'site.test.', 'site.test:8443']) {
      assert.equal((await send(gh.port, { path: '/', headers: { host } })).status, 200, host);
    }
  });
});

describe('the reserved /.gatehouse/ prefix', () => {
  let app: TestUpstream;
  let gh: RunningGatehouse;
  before(async () => {
    app = await startUpstream('app');
    gh = await startGatehouse(validConfig(configObject({ app: app.url }, [{ name: 'everything', policy: 'public', upstream: 'app' }])));
  });
  after(async () => {
    await gh.close();
    await app.close();
  });

  test('is never forwarded, even to a catch-all public route, however it is spelled', async () => {
    const cases: [string, number][] = [
      ['/.gatehouse/login', 200], ['/x/../.gatehouse/login', 200], ['/%2egatehouse/login', 200], ['//.gatehouse//login', 200],
      ['/.gatehouse/./login?rd=/x', 200], ['/.gatehouse/', 404], ['/.gatehouse', 404], ['/.gatehouse/nothing', 404],
      ['/.gatehouse;x/login', 404], ['/x/..%2f.gatehouse/login', 400], ['/.gatehouse/../.gatehouse/secret', 404],
    ];
    for (const [target, status] of cases) {
      const r = await rawExchange(gh.port, rawGet(target, { accept: 'text/html' }));
      assert.equal(r.status, status, `${target}: ${r.raw.slice(0, 200)}`);
    }
    const post = await rawExchange(gh.port, rawGet('/.gatehouse/login', {}, 'DELETE'));
    assert.equal(post.status, 405);
    assert.deepEqual(app.requests.filter((r) => r.url.toLowerCase().includes('gatehouse')).map((r) => r.url), []);
    assert.equal(app.requests.length, 0);
  });

  test('the placeholder login page escapes rd', async () => {
    const r = await send(gh.port, { path: '/.gatehouse/login?rd=%3Cscript%3Ealert(1)%3C%2Fscript%3E' });
    assert.equal(r.status, 200);
    assert.ok(!r.body.includes('<script>'), 'rd is escaped');
    assert.match(String(r.headers['content-security-policy']), /default-src 'none'/);
  });

  test('other paths still go to the catch-all route', async () => {
    const r = await send(gh.port, { path: '/.well-known/x' });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).url, '/.well-known/x');
  });
});

describe('max_in_flight', () => {
  // Requests to /hold wait at the upstream until release() opens the current gate; hold() arms a new one.
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  const hold = (): void => { gate = new Promise<void>((r) => { release = r; }); };
  let app: TestUpstream;
  let gh: RunningGatehouse;
  before(async () => {
    app = await startUpstream('app', (req, res) => {
      req.resume();
      if (req.url === '/hold') void gate.then(() => res.end('held'));
      else res.end('quick');
    });
    gh = await startGatehouse(validConfig(configObject({ app: app.url }, [{ name: 'all', policy: 'public', upstream: 'app', websockets: true }],
      { server: { max_in_flight: 2 } })));
  });
  after(async () => {
    release();
    await gh.close();
    await app.close();
  });

  test('past the bound: 503 with Retry-After, upstream not asked; below it again: served', { timeout: 10_000 }, async () => {
    hold();
    const held = [send(gh.port, { path: '/hold' }), send(gh.port, { path: '/hold' })];
    await eventually(3000, 'two requests held at the upstream', () => app.requests.length === 2);
    const shed = await send(gh.port, { path: '/quick' });
    assert.equal(shed.status, 503);
    assert.equal(shed.headers['retry-after'], '1');
    assert.equal(JSON.parse(shed.body).code, 'GATE_ERR_OVERLOADED');
    assert.equal(app.requests.length, 2, 'a shed request never reaches the upstream');
    release();
    for (const r of await Promise.all(held)) assert.equal(r.status, 200);
    assert.equal((await send(gh.port, { path: '/quick' })).status, 200);
    const metrics = (await send(gh.adminPort, { path: '/metrics' })).body;
    assert.match(metrics, /gatehouse_load_shed_total\{reason="in_flight",class="public"\} 1/);
  });

  test('an Upgrade past the bound is shed too: 503 with Retry-After on the raw socket, upstream not asked', { timeout: 10_000 }, async () => {
    hold();
    const before = app.requests.length;
    const held = [send(gh.port, { path: '/hold' }), send(gh.port, { path: '/hold' })];
    await eventually(3000, 'two requests held at the upstream', () => app.requests.length === before + 2);
    const upgrade = await rawExchange(gh.port, 'GET /chat HTTP/1.1\r\nHost: gatehouse.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    assert.equal(upgrade.status, 503, upgrade.raw.slice(0, 200));
    assert.equal(upgrade.headers['retry-after'], '1');
    assert.equal(JSON.parse(upgrade.body).code, 'GATE_ERR_OVERLOADED');
    assert.equal(app.requests.length, before + 2, 'a shed upgrade never reaches the upstream');
    release();
    for (const r of await Promise.all(held)) assert.equal(r.status, 200);
    const metrics = (await send(gh.adminPort, { path: '/metrics' })).body;
    assert.match(metrics, /gatehouse_load_shed_total\{reason="in_flight",class="public"\} 2/);
    await eventually(3000, 'the shed upgrade to leave the in-flight count once its socket closed', async () =>
      sample((await send(gh.adminPort, { path: '/metrics' })).body, 'gatehouse_in_flight_requests') === 0);
  });
});


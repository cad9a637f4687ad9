// The access log and the request id, through a whole Gatehouse on SQLite in front of a real upstream: one line per
// request with the judged client, the user id and the timings; credentials (cookie, bearer token, password, OAuth
// code and state) never in any line; X-Request-Id believed only from a trusted proxy, forwarded upstream and
// returned to the client; upgrades logged and forwarded alike; sampling, fields and on/off from the config.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log/logger.js';
import { REQUEST_ID_SHAPE } from '../../src/pipeline/context.js';
import { MAX_LOGGED_TARGET, redactTarget } from '../../src/pipeline/access-log.js';
import { REDACTED_QUERY_PARAMS } from '../../src/config/schema.js';
import { sqliteDatabase, type TestDatabase } from '../store/databases.js';
import { startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { closedPort, eventually, startUpstream, within, type TestUpstream } from '../helpers/core-net.js';

const ROUTES = [
  { name: 'private', match: { path: '/private/' }, policy: 'authenticated', upstream: 'app', websockets: true },
  { name: 'dead', match: { path: '/dead/' }, policy: 'public', upstream: 'dead' },
  { name: 'public', match: { path: '/' }, policy: 'public', upstream: 'app' },
];
const PASSWORD = 'correct horse battery staple 42';
/** The trusted proxy is 127.0.0.2 (Linux routes all of 127/8 to loopback); clients connect from 127.0.0.1. */
const PROXY = '127.0.0.2';

type Line = Record<string, unknown>;

function capture(): { lines: Line[]; text: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: Line[] = [];
  const text: string[] = [];
  const logger = createLogger('info', new Writable({
    write(chunk, _enc, done) {
      text.push(String(chunk));
      lines.push(JSON.parse(String(chunk)) as Line);
      done();
    },
  }));
  return { lines, text, logger };
}

interface Answer { status: number; headers: IncomingHttpHeaders; body: string }

function call(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string; from?: string } = {}): Promise<Answer> {
  return within(5000, `${options.method ?? 'GET'} ${path}`, new Promise<Answer>((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false,
      localAddress: options.from ?? '127.0.0.1',
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(options.body);
  }));
}

/** The access line of the request answered with `id` (waits: the line is written when the answer closes). */
function lineOf(lines: Line[], id: string): Promise<Line> {
  return eventually(2000, `the access line of ${id}`, () => lines.find((l) => l['msg'] === 'request' && l['request_id'] === id));
}

describe('access log and request id', () => {
  let db: TestDatabase;
  let upstream: TestUpstream;
  let gh: FullGatehouse;
  let log: ReturnType<typeof capture>;
  let cookie: string;
  let token: string;
  let userId: string;

  before(async () => {
    db = sqliteDatabase();
    upstream = await startUpstream('app');
    upstream.server.on('upgrade', (_req, socket) => {
      socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    });
    log = capture();
    const dead = await closedPort();
    gh = await startFullGatehouse(db, { app: upstream.url, dead: `http://127.0.0.1:${dead}` }, ROUTES, {
      server: { trusted_proxies: [PROXY] },
      sessions: { cookie: { secure: false, name: 'gh_session' } },
      auth: { local: { registration: 'open' } },
    }, { logger: log.logger });
    const registered = await call(gh.port, '/.gatehouse/register', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ada@example.com', password: PASSWORD }),
    });
    assert.equal(registered.status, 202, registered.body);
    const reg = await call(gh.port, '/.gatehouse/login', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ada@example.com', password: PASSWORD }),
    });
    assert.equal(reg.status, 200, reg.body);
    userId = JSON.parse(reg.body).user.id;
    cookie = String(reg.headers['set-cookie']).split(';')[0]!;
    token = cookie.slice(cookie.indexOf('=') + 1);
    assert.ok(token.length > 20, 'a session token');
  });
  after(async () => {
    await gh?.stop();
    await upstream?.close();
    await db?.drop();
  });

  test('a forwarded request: one line with route, judged client, user id, timings and bytes; the id goes upstream and back', async () => {
    const res = await call(gh.port, '/private/page?code=SECRETCODE1&state=STATEVALUE1&q=kept', { headers: { cookie: `${cookie}; theme=dark` } });
    assert.equal(res.status, 200);
    const id = String(res.headers['x-request-id']);
    assert.match(id, REQUEST_ID_SHAPE);
    const seen = upstream.requests.at(-1)!;
    assert.equal(seen.headers['x-request-id'], id, 'the upstream receives the id the client gets back');
    assert.equal(seen.url, '/private/page?code=SECRETCODE1&state=STATEVALUE1&q=kept', 'the upstream gets the query untouched');
    const line = await lineOf(log.lines, id);
    assert.equal(line['level'], 30);
    assert.equal(line['route'], 'private');
    assert.equal(line['method'], 'GET');
    assert.equal(line['path'], '/private/page?code=[redacted]&state=[redacted]&q=kept');
    assert.equal(line['status'], 200);
    assert.equal(line['outcome'], 'forwarded');
    assert.equal(line['client_ip'], '127.0.0.1');
    assert.equal(line['user_id'], userId);
    assert.equal(typeof line['duration_ms'], 'number');
    assert.equal(typeof line['upstream_ms'], 'number');
    assert.ok((line['upstream_ms'] as number) <= (line['duration_ms'] as number), 'the upstream time is part of the whole');
    assert.ok((line['bytes_in'] as number) > 100, `bytes_in counts the request head: ${line['bytes_in']}`);
    assert.ok((line['bytes_out'] as number) >= Buffer.byteLength(res.body), `bytes_out counts the answer: ${line['bytes_out']}`);
    assert.equal(log.lines.filter((l) => l['request_id'] === id).length, 1, 'exactly one line');
  });

  test('a client that is not a trusted proxy cannot choose its request id, and its copy never reaches the upstream', async () => {
    const res = await call(gh.port, '/anything', { headers: { 'x-request-id': 'chosen-by-client-123' } });
    assert.equal(res.status, 200);
    const id = String(res.headers['x-request-id']);
    assert.notEqual(id, 'chosen-by-client-123');
    const seen = upstream.requests.at(-1)!;
    assert.equal(seen.headers['x-request-id'], id);
    assert.ok(!seen.rawHeaders.includes('chosen-by-client-123'), 'the client\'s id is dropped');
    assert.equal((await lineOf(log.lines, id))['route'], 'public');
  });

  test('a trusted proxy\'s well-formed id is kept (and its X-Forwarded-For names the client); a malformed one is replaced', async () => {
    const res = await call(gh.port, '/from-edge', { from: PROXY, headers: { 'x-request-id': 'edge-7f3a9c', 'x-forwarded-for': '203.0.113.9' } });
    assert.equal(res.headers['x-request-id'], 'edge-7f3a9c');
    assert.equal(upstream.requests.at(-1)!.headers['x-request-id'], 'edge-7f3a9c');
    const line = await lineOf(log.lines, 'edge-7f3a9c');
    assert.equal(line['client_ip'], '203.0.113.9');
    for (const bad of ['has spaces in it', 'x'.repeat(129), 'semi;colon', 'quote"d', '']) {
      const r = await call(gh.port, '/from-edge', { from: PROXY, headers: { 'x-request-id': bad } });
      assert.notEqual(r.headers['x-request-id'], bad);
      assert.match(String(r.headers['x-request-id']), REQUEST_ID_SHAPE);
      assert.equal(upstream.requests.at(-1)!.headers['x-request-id'], r.headers['x-request-id']);
    }
  });

  test('refusals and Gatehouse\'s own endpoints are logged with an id too, without any credential', async () => {
    const refused = await call(gh.port, '/private/x', { headers: { accept: 'application/json' } });
    assert.equal(refused.status, 401);
    const refusedLine = await lineOf(log.lines, String(refused.headers['x-request-id']));
    assert.equal(refusedLine['outcome'], 'unauthenticated');
    assert.equal(refusedLine['route'], 'private');
    assert.equal(refusedLine['upstream_ms'], undefined, 'not forwarded');
    const bearer = await call(gh.port, '/private/api', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(bearer.status, 200);
    assert.equal((await lineOf(log.lines, String(bearer.headers['x-request-id'])))['user_id'], userId);
    const login = await call(gh.port, '/.gatehouse/login?rd=%2Fprivate%2F&token=RESETTOKEN9', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ada@example.com', password: PASSWORD }),
    });
    const loginLine = await lineOf(log.lines, String(login.headers['x-request-id']));
    assert.equal(loginLine['route'], '_gatehouse');
    assert.equal(loginLine['path'], '/.gatehouse/login?rd=%2Fprivate%2F&token=[redacted]');
    const newCookie = String(login.headers['set-cookie'] ?? '').split(';')[0]!;
    const all = log.text.join('');
    for (const secret of [token, newCookie.slice(newCookie.indexOf('=') + 1), PASSWORD, 'SECRETCODE1', 'STATEVALUE1', 'RESETTOKEN9']) {
      if (secret === '') continue;
      assert.ok(!all.includes(secret), `a credential reached the log: ${secret.slice(0, 6)}...`);
    }
  });

  test('an upgrade is judged, logged and forwarded with its id like a request', async () => {
    const head = await within(5000, 'the upgrade answer', new Promise<string>((resolve, reject) => {
      const socket = connect(gh.port, '127.0.0.1', () => {
        socket.write(`GET /private/ws?token=WSTOKEN77 HTTP/1.1\r\nHost: gatehouse.test\r\nCookie: ${cookie}\r\nConnection: Upgrade\r\n` +
          'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
      });
      let got = '';
      socket.on('data', (d) => {
        got += String(d);
        if (got.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(got);
        }
      });
      socket.on('error', reject);
    }));
    assert.match(head, /^HTTP\/1\.1 101/);
    const seen = upstream.requests.at(-1)!;
    assert.equal(seen.url, '/private/ws?token=WSTOKEN77');
    const id = String(seen.headers['x-request-id']);
    assert.match(id, REQUEST_ID_SHAPE);
    const line = await lineOf(log.lines, id);
    assert.equal(line['status'], 101);
    assert.equal(line['route'], 'private');
    assert.equal(line['user_id'], userId);
    assert.equal(line['path'], '/private/ws?token=[redacted]');
    // A refused upgrade answers its id on the raw socket.
    const refused = await within(5000, 'the refusal', new Promise<string>((resolve, reject) => {
      const socket = connect(gh.port, '127.0.0.1', () => {
        socket.write('GET /private/ws HTTP/1.1\r\nHost: gatehouse.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      });
      let got = '';
      socket.on('data', (d) => { got += String(d); });
      socket.on('end', () => resolve(got));
      socket.on('error', reject);
    }));
    const refusedId = /X-Request-Id: (\S+)/.exec(refused)?.[1];
    assert.ok(refusedId, refused);
    assert.equal((await lineOf(log.lines, refusedId))['status'], 401);
  });

  test('an upstream failure is logged with its reason', async () => {
    const res = await call(gh.port, '/dead/x');
    assert.equal(res.status, 502);
    const line = await lineOf(log.lines, String(res.headers['x-request-id']));
    assert.equal(line['outcome'], 'upstream_failed');
    assert.equal(line['reason'], 'refused');
  });
});

describe('access log settings', () => {
  async function withSettings(accessLog: Record<string, unknown>, run: (gh: FullGatehouse, lines: Line[]) => Promise<void>): Promise<void> {
    const db = sqliteDatabase();
    const upstream = await startUpstream('app');
    const dead = await closedPort();
    const log = capture();
    const gh = await startFullGatehouse(db, { app: upstream.url, dead: `http://127.0.0.1:${dead}` }, ROUTES, { logging: { access_log: accessLog } }, { logger: log.logger });
    try {
      await run(gh, log.lines);
    } finally {
      await gh.stop();
      await upstream.close();
      await db.drop();
    }
  }
  const requestLines = (lines: Line[]) => lines.filter((l) => l['msg'] === 'request');

  test('enabled: false writes no line (and the request id is still returned and forwarded)', async () => {
    await withSettings({ enabled: false }, async (gh, lines) => {
      const res = await call(gh.port, '/x');
      assert.match(String(res.headers['x-request-id']), REQUEST_ID_SHAPE);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(requestLines(lines), []);
    });
  });

  test('sample_ratio 0 drops successful requests but keeps answers of 500 and above', async () => {
    await withSettings({ sample_ratio: 0 }, async (gh, lines) => {
      for (let i = 0; i < 5; i++) assert.equal((await call(gh.port, '/x')).status, 200);
      const failed = await call(gh.port, '/dead/y');
      assert.equal(failed.status, 502);
      await lineOf(lines, String(failed.headers['x-request-id']));
      assert.equal(requestLines(lines).length, 1, 'only the 502');
    });
  });

  test('sample_ratio 0.5 logs about half', async () => {
    await withSettings({ sample_ratio: 0.5 }, async (gh, lines) => {
      for (let i = 0; i < 60; i++) await call(gh.port, '/x');
      await new Promise((r) => setTimeout(r, 100));
      const n = requestLines(lines).length;
      assert.ok(n >= 12 && n <= 48, `60 requests at 0.5 logged ${n} lines`);
    });
  });

  test('fields: only the listed ones are written', async () => {
    await withSettings({ fields: ['request_id', 'status', 'route'] }, async (gh, lines) => {
      const res = await call(gh.port, '/x');
      const line = await lineOf(lines, String(res.headers['x-request-id']));
      const own = Object.keys(line).filter((k) => !['level', 'time', 'pid', 'hostname', 'service', 'msg'].includes(k)).sort();
      assert.deepEqual(own, ['request_id', 'route', 'status']);
    });
  });
});

test('redactTarget: credential parameters by name, however spelled; the rest untouched; long targets cut', () => {
  const names = new Set<string>(REDACTED_QUERY_PARAMS);
  assert.equal(redactTarget('/cb?code=abc&state=xyz', names), '/cb?code=[redacted]&state=[redacted]');
  assert.equal(redactTarget('/cb?CODE=abc&%73tate=xyz&codes=1', names), '/cb?CODE=[redacted]&%73tate=[redacted]&codes=1');
  assert.equal(redactTarget('/a?access_token=t&x=1&id_token=u&x-amz-signature=s', names), '/a?access_token=[redacted]&x=1&id_token=[redacted]&x-amz-signature=[redacted]');
  assert.equal(redactTarget('/a?flag&token', names), '/a?flag&token', 'a name without a value has nothing to hide');
  assert.equal(redactTarget('/plain/path', names), '/plain/path');
  assert.equal(redactTarget('/a?bad=%E0%A4%A&token=t', names), '/a?bad=%E0%A4%A&token=[redacted]', 'a malformed escape does not throw');
  const long = redactTarget(`/x?token=t&pad=${'p'.repeat(5000)}`, names);
  assert.equal(long.length, MAX_LOGGED_TARGET + 3);
  assert.ok(long.startsWith('/x?token=[redacted]&pad=ppp') && long.endsWith('...'));
});

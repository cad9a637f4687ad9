// WebSocket upgrades pass through on routes with `websockets: true` (after the policy), and are refused elsewhere.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import {
  closedPort, configObject, rawExchange, send, startGatehouse, startUpstream, validConfig, within,
  type RunningGatehouse, type TestUpstream,
} from '../helpers/core-net.js';

let app: TestUpstream;
let wss: WebSocketServer;
let gh: RunningGatehouse;

before(async () => {
  app = await startUpstream('app');
  wss = new WebSocketServer({ server: app.server });
  wss.on('connection', (ws, req) => {
    ws.send(JSON.stringify({ hello: req.url }));
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  const dead = await closedPort();
  gh = await startGatehouse(validConfig(configObject({ app: app.url, dead: `http://127.0.0.1:${dead}` }, [
    { name: 'ws', match: { path: '/ws/' }, policy: 'public', upstream: 'app', websockets: true },
    { name: 'ws-private', match: { path: '/private-ws/' }, policy: 'authenticated', upstream: 'app', websockets: true },
    { name: 'ws-dead', match: { path: '/dead-ws/' }, policy: 'public', upstream: 'dead', websockets: true },
    { name: 'plain', match: { path: '/plain/' }, policy: 'public', upstream: 'app' },
  ])));
});
after(async () => {
  await gh.close();
  for (const client of wss.clients) client.terminate();
  wss.close();
  await app.close();
});

/** Opens a client socket and waits for it to open (or for the refusal). */
function open(path: string): Promise<{ ws: WebSocket; first: string } | { refused: number }> {
  const ws = new WebSocket(`ws://127.0.0.1:${gh.port}${path}`);
  return within(5000, `websocket ${path}`, new Promise((resolve, reject) => {
    ws.once('message', (data) => resolve({ ws, first: String(data) }));
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      resolve({ refused: res.statusCode ?? 0 });
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  }));
}

describe('websockets through the proxy', () => {
  test('echo of text and a 1 MB binary message on a route with websockets: true', async () => {
    const opened = await open('/ws/chat?room=1');
    assert.ok('ws' in opened, `refused: ${JSON.stringify(opened)}`);
    const { ws, first } = opened;
    try {
      assert.deepEqual(JSON.parse(first), { hello: '/ws/chat?room=1' });
      const echo = (data: string | Buffer): Promise<Buffer> => within(5000, 'an echo', new Promise((resolve) => {
        ws.once('message', (d: Buffer) => resolve(d));
        ws.send(data);
      }));
      assert.equal(String(await echo('hello through gatehouse')), 'hello through gatehouse');
      const big = Buffer.alloc(1024 * 1024, 7);
      assert.ok((await echo(big)).equals(big));
    } finally {
      ws.close();
    }
    const got = app.requests.find((r) => r.url === '/ws/chat?room=1')!;
    assert.equal(got.headers['upgrade'], 'websocket');
    assert.equal(got.headers['x-forwarded-for'], '127.0.0.1');
  });

  test('refused with 403 on a route without websockets: true, and the upstream is not asked', async () => {
    const before = app.requests.length;
    assert.deepEqual(await open('/plain/x'), { refused: 403 });
    assert.equal(app.requests.length, before);
  });

  test('refused with 401 on an authenticated route without a session', async () => {
    const before = app.requests.length;
    assert.deepEqual(await open('/private-ws/x'), { refused: 401 });
    assert.equal(app.requests.length, before);
  });

  test('404 for an upgrade no route matches; 400 for a path that cannot be judged; the reserved prefix is never forwarded', async () => {
    const before = app.requests.length;
    assert.deepEqual(await open('/nowhere'), { refused: 404 });
    assert.deepEqual(await open('/ws/..%2f..%2fplain'), { refused: 400 });
    assert.deepEqual(await open('/ws/../.gatehouse/login'), { refused: 404 });
    assert.equal(app.requests.length, before);
  });

  test('502 when the upstream of a websocket route is down', async () => {
    assert.deepEqual(await open('/dead-ws/x'), { refused: 502 });
  });

  test('an h2c upgrade is refused with 400 (never forwarded, whatever the route) and the listener keeps serving', async () => {
    const before = app.requests.length;
    for (const path of ['/plain/x', '/ws/x']) {
      const answer = await rawExchange(gh.port, `GET ${path} HTTP/1.1\r\nHost: gatehouse.test\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`);
      assert.equal(answer.status, 400);
      assert.deepEqual(JSON.parse(answer.body), { error: 'bad_request', code: 'GATE_ERR_BAD_REQUEST', message: 'upgrades to h2c are never forwarded' });
    }
    assert.equal(app.requests.length, before);
    assert.equal((await send(gh.port, { path: '/plain/ok' })).status, 200);
  });
});

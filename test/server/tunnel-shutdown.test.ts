// WebSocket tunnels end, and do not hold the process (issue 12 §1). A `gatehouse serve` process with an upstream that
// never closes its side: a tunnel whose client half-closed, a tunnel left open, and an idle keep-alive connection.
// On SIGTERM the process exits 0 within drain_delay + grace_period (plus start-up of the shutdown), and every
// connection is closed on both sides: before, the half-closed client sat in CLOSE-WAIT and the process waited for the
// upstream to close. In-process: a half-close is passed on at once and bounded by server.tunnel_half_close_timeout,
// and a tunnel counts as in flight until both sides are gone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { configObject, eventually, sample, scrape, startGatehouse, validConfig, within } from '../helpers/core-net.js';
import { startServe, tempDir, writeYaml, type ServeProcess } from '../helpers/core-cli.js';

const tmp = tempDir();
let upstream: Server;
let upstreamUrl: string;
/** The upstream's side of each tunnel: whether Gatehouse's FIN arrived, and whether the socket is closed. */
const tunnels: { path: string; ended: boolean; closed: boolean; socket: Socket }[] = [];
let serve: ServeProcess | undefined;

before(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
    res.end('ok');
  });
  upstream.on('upgrade', (req, socket: Socket) => {
    const record = { path: req.url ?? '', ended: false, closed: false, socket };
    tunnels.push(record);
    // An upstream that never closes its side: it notes Gatehouse's end and keeps its own open (allowHalfOpen).
    socket.on('end', () => { record.ended = true; });
    socket.on('close', () => { record.closed = true; });
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nhello');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

after(async () => {
  serve?.kill();
  upstream.closeAllConnections();
  for (const t of tunnels) t.socket.destroy();
  for (const s of [...openSockets]) s.destroy();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
  tmp.cleanup();
});

const openSockets = new Set<Socket>();

/** Opens a tunnel through Gatehouse; resolves once the 101 and the upstream's first bytes arrived. */
async function openTunnel(port: number, path: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  openSockets.add(socket);
  socket.on('error', () => undefined);
  // Like a browser: once Gatehouse has ended its side, the client ends its own (it may have ended first).
  socket.on('end', () => socket.end());
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let got = '';
  socket.on('data', (c: Buffer) => { got += c.toString('latin1'); });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
  await eventually(5000, `the tunnel ${path} to open`, () => got.startsWith('HTTP/1.1 101 ') && got.endsWith('hello'));
  return { socket, closed };
}

const tunnel = (path: string) => tunnels.find((t) => t.path === path)!;

test('SIGTERM with tunnels open (one half-closed by its client) and an idle keep-alive connection: every connection closes, exit 0 in time', { timeout: 30_000 }, async () => {
  const drain = 300;
  const grace = 1000;
  const file = writeYaml(join(tmp.dir, 'tunnels.yaml'), {
    ...configObject({ app: upstreamUrl }, [{ name: 'ws', match: { path: '/' }, policy: 'public', upstream: 'app', websockets: true }],
      { server: { drain_delay: `${drain}ms`, grace_period: `${grace}ms`, tunnel_half_close_timeout: '60s' } }),
    logging: { level: 'info' },
    storage: { driver: 'sqlite', sqlite: { path: join(tmp.dir, 'gatehouse.db') } },
  });
  serve = await startServe(file);
  const halfClosed = await openTunnel(serve.port, '/half');
  const open = await openTunnel(serve.port, '/open');
  // The client ends its side: the upstream hears it at once, and keeps its own side open.
  halfClosed.socket.end();
  await eventually(3000, 'the half-close to reach the upstream', () => tunnel('/half').ended);
  assert.equal(tunnel('/half').closed, false);
  const keepAlive = connect(serve.port, '127.0.0.1');
  openSockets.add(keepAlive);
  keepAlive.on('error', () => undefined);
  const keepAliveClosed = new Promise<void>((resolve) => keepAlive.once('close', () => resolve()));
  let answer = '';
  keepAlive.on('data', (c: Buffer) => { answer += c.toString('latin1'); });
  keepAlive.write('GET /plain HTTP/1.1\r\nHost: app\r\n\r\n');
  await eventually(3000, 'the keep-alive answer', () => answer.endsWith('ok'));

  const t0 = Date.now();
  serve.child.kill('SIGTERM');
  const exit = await serve.exited(drain + grace + 5000);
  const took = Date.now() - t0;
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.ok(took < drain + grace + 2500, `exited ${took} ms after SIGTERM (drain ${drain} + grace ${grace})`);
  assert.ok(took >= drain + grace - 100, `the tunnels had the grace period (${took} ms)`);
  await within(3000, 'every client connection to close', Promise.all([halfClosed.closed, open.closed, keepAliveClosed]));
  await eventually(3000, 'the upstream sides of both tunnels to end', () => tunnel('/half').ended && tunnel('/open').ended);
  const warned = serve.logs.find((l) => String(l['msg']).includes('grace period over'));
  assert.equal(warned?.['tunnels'], 2, JSON.stringify(warned));
});

test('a half-close is passed on at once, and the tunnel is closed tunnel_half_close_timeout later; it counts in flight until then', { timeout: 20_000 }, async () => {
  const gh = await startGatehouse(validConfig(configObject({ app: upstreamUrl },
    [{ name: 'ws', match: { path: '/' }, policy: 'public', upstream: 'app', websockets: true }],
    { server: { tunnel_half_close_timeout: '400ms' } })));
  try {
    const { socket, closed } = await openTunnel(gh.port, '/bounded');
    assert.equal(sample(await scrape(gh.adminPort), 'gatehouse_in_flight_requests'), 1, 'an open tunnel is in flight');
    const t0 = Date.now();
    socket.end();
    await eventually(2000, 'the half-close to reach the upstream', () => tunnel('/bounded').ended);
    await within(3000, 'the client connection to be closed', closed);
    const took = Date.now() - t0;
    assert.ok(took >= 350 && took < 2000, `closed ${took} ms after the client's end`);
    // Gatehouse's side toward the upstream is gone too: the upstream's next writes are refused (reset).
    await eventually(2000, 'the upstream side to be closed by Gatehouse', () => {
      const t = tunnel('/bounded');
      if (!t.closed) t.socket.write('still there?');
      return t.closed;
    });
    await eventually(2000, 'the tunnel to leave the in-flight count', async () =>
      sample(await scrape(gh.adminPort), 'gatehouse_in_flight_requests') === 0);
    // An upstream that closes ends the client's side too, at once.
    const second = await openTunnel(gh.port, '/upstream-closes');
    tunnel('/upstream-closes').socket.end();
    await within(2000, 'the client side to close after the upstream closed', second.closed);
  } finally {
    await gh.close();
  }
});

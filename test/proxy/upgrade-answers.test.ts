// How Gatehouse relays an upstream's answer to an Upgrade: a declined upgrade (any status but 101) reaches the client
// framed anew whatever framing the upstream used (the old relay kept "Transfer-Encoding: chunked" over a body Node
// had already de-chunked), then both connections close; a 101 for a protocol that was not offered is a 502; and
// no byte the client sent after its headers reaches the upstream before the upstream's 101. The upstream here is a
// real node:http server whose 'upgrade' handler writes exact bytes, so every framing can be produced.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { configObject, eventually, startGatehouse, validConfig, type RunningGatehouse } from '../helpers/core-net.js';
import { parseResponses, sendParts } from '../helpers/header-corpus.js';

const BIG = 200 * 1024;

/** What the upstream saw on one upgrade connection: bytes after the request head, and whether Gatehouse closed it. */
interface Seen { path: string; before101: Buffer[]; after101: Buffer[]; closed: boolean }

let server: Server;
let gh: RunningGatehouse;
const seen: Seen[] = [];

function chunked(body: Buffer, size: number): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += size) {
    const piece = body.subarray(at, at + size);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

before(async () => {
  server = createServer();
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    const record: Seen = { path: req.url ?? '', before101: [], after101: [], closed: false };
    seen.push(record);
    let switched = false;
    if (head.length > 0) record.before101.push(head);
    socket.on('data', (c: Buffer) => (switched ? record.after101 : record.before101).push(c));
    // Gatehouse's end of the connection is closed when its FIN (or a reset) arrives; the upstream then closes its own.
    socket.on('end', () => { record.closed = true; socket.destroy(); });
    socket.on('close', () => { record.closed = true; });
    socket.on('error', () => undefined);
    const write = (bytes: string | Buffer): void => { socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes); };
    switch (req.url) {
      case '/ws/chunked': // declined, chunked, and the connection kept open as a keep-alive server would
        write('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nX-Upstream: yes\r\n\r\n');
        write(chunked(Buffer.from('no upgrade for you'), 5));
        break;
      case '/ws/big':
        write('HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n');
        write(chunked(Buffer.alloc(BIG, 'b'), 4096));
        break;
      case '/ws/close-delimited':
        write('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\ncome back later');
        socket.end();
        break;
      case '/ws/no-content':
        write('HTTP/1.1 204 No Content\r\nKeep-Alive: timeout=5\r\n\r\n');
        break;
      case '/ws/broken':
        write('HTTP/1.1 403 Forbidden\r\nContent-Length: 100\r\n\r\nshort');
        setTimeout(() => socket.destroy(), 50);
        break;
      case '/ws/wrong-protocol':
        write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
        break;
      case '/ws/slow': // answers 101 only after 300 ms: what the client sent meanwhile must wait
        setTimeout(() => {
          switched = true;
          write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
          socket.pipe(socket);
        }, 300);
        break;
      default:
        write('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  gh = await startGatehouse(validConfig(configObject({ app: url }, [
    { name: 'ws', match: { path: '/ws/' }, policy: 'public', upstream: 'app', websockets: true },
  ])));
});

after(async () => {
  await gh.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const upgrade = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`;
const seenFor = (path: string): Seen => seen.find((s) => s.path === path)!;

test('a chunked refusal is relayed with Content-Length and Connection: close, and the upstream connection is closed', async () => {
  const [answer, ...rest] = parseResponses(await sendParts(gh.port, [upgrade('/ws/chunked') + 'GET /ws/next HTTP/1.1\r\nHost: app\r\n\r\n']));
  assert.equal(rest.length, 0);
  assert.equal(answer!.status, 403);
  assert.equal(answer!.framing, 'content-length');
  assert.equal(answer!.body.toString(), 'no upgrade for you');
  assert.ok(!answer!.headers.some(([k]) => k === 'transfer-encoding'));
  assert.deepEqual(answer!.headers.filter(([k]) => k === 'x-upstream' || k === 'connection'), [['x-upstream', 'yes'], ['connection', 'close']]);
  await eventually(2000, 'the upstream connection to close', () => seenFor('/ws/chunked').closed);
  assert.equal(Buffer.concat(seenFor('/ws/chunked').before101).length, 0, 'nothing after the headers reached the upstream');
});

test('a refusal larger than the buffer is relayed close-delimited, whole', async () => {
  const [answer, ...rest] = parseResponses(await sendParts(gh.port, [upgrade('/ws/big')]));
  assert.equal(rest.length, 0);
  assert.equal(answer!.status, 400);
  assert.equal(answer!.framing, 'close');
  assert.equal(answer!.body.length, BIG);
  assert.ok(answer!.body.every((b) => b === 0x62));
});

test('a close-delimited refusal and a 204 are framed for the client', async () => {
  const [closing] = parseResponses(await sendParts(gh.port, [upgrade('/ws/close-delimited')]));
  assert.equal(closing!.status, 503);
  assert.equal(closing!.framing, 'content-length');
  assert.equal(closing!.body.toString(), 'come back later');
  const answers = parseResponses(await sendParts(gh.port, [upgrade('/ws/no-content')]));
  assert.deepEqual(answers.map((a) => [a.status, a.framing, a.body.length]), [[204, 'none', 0]]);
  assert.ok(!answers[0]!.headers.some(([k]) => k === 'content-length' || k === 'keep-alive'));
});

test('an answer the upstream breaks off is a 502', async () => {
  const [answer] = parseResponses(await sendParts(gh.port, [upgrade('/ws/broken')]));
  assert.equal(answer!.status, 502);
  assert.match(answer!.body.toString(), /GATE_ERR_UPSTREAM_UNAVAILABLE/);
});

test('a 101 to a protocol that was not offered is a 502, and the upstream connection is closed', async () => {
  const [answer] = parseResponses(await sendParts(gh.port, [upgrade('/ws/wrong-protocol') + 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n']));
  assert.equal(answer!.status, 502);
  await eventually(2000, 'the upstream connection to close', () => seenFor('/ws/wrong-protocol').closed);
  assert.equal(Buffer.concat(seenFor('/ws/wrong-protocol').before101).length + Buffer.concat(seenFor('/ws/wrong-protocol').after101).length, 0);
});

test('bytes sent after the headers, in the same write or later, reach the upstream only after its 101, in order', async () => {
  const { connect } = await import('node:net');
  const socket = connect(gh.port, '127.0.0.1');
  const got: Buffer[] = [];
  socket.on('data', (c: Buffer) => got.push(c));
  socket.write(upgrade('/ws/slow') + 'first;');
  await sleep(100);
  socket.write('second;');
  await eventually(3000, 'the 101 and the echo', () => Buffer.concat(got).toString('latin1').includes('first;second;'));
  const record = seenFor('/ws/slow');
  assert.equal(Buffer.concat(record.before101).length, 0, 'nothing reached the upstream before its 101');
  assert.equal(Buffer.concat(record.after101).toString(), 'first;second;');
  const text = Buffer.concat(got).toString('latin1');
  assert.ok(text.startsWith('HTTP/1.1 101 Switching Protocols\r\n'), text);
  socket.destroy();
  await eventually(2000, 'the upstream side of the tunnel to close', () => record.closed);
});

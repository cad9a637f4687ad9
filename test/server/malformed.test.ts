// Never crash on input: each malformed request gets a 4xx on its own connection, reaches no upstream, and the
// listener carries on serving.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { configObject, rawExchange, send, startGatehouse, startUpstream, validConfig, type RunningGatehouse, type TestUpstream } from '../helpers/core-net.js';

let app: TestUpstream;
let gh: RunningGatehouse;
/** Bodies the upstream received in full. A streaming proxy may start forwarding before a framing error shows up
 * later in the body; what matters is that the upstream never gets a complete request out of it. */
const completed: string[] = [];

before(async () => {
  app = await startUpstream('app', (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString('latin1'); });
    req.on('end', () => {
      completed.push(`${req.method} ${req.url} ${body}`);
      res.end('ok');
    });
  });
  gh = await startGatehouse(validConfig(configObject({ app: app.url }, [{ name: 'all', policy: 'public', upstream: 'app' }])));
});
after(async () => {
  await gh.close();
  await app.close();
});

const H = 'Host: gatehouse.test\r\n';

// [name, raw bytes, allowed statuses]
const MALFORMED: readonly [string, string, readonly number[]][] = [
  ['garbage request line', 'GARBAGE\r\n\r\n', [400]],
  ['unknown HTTP version', `GET / HTTP/9.9\r\n${H}\r\n`, [400, 505]],
  ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n', [400]],
  ['huge header', `GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(40_000)}\r\n\r\n`, [431]],
  ['too many headers in total', `GET / HTTP/1.1\r\n${H}${Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${'v'.repeat(20)}\r\n`).join('')}\r\n`, [431]],
  ['control character in a header value', `GET / HTTP/1.1\r\n${H}X-Foo: a\x01b\r\n\r\n`, [400]],
  ['space in a header name', `GET / HTTP/1.1\r\n${H}Bad Header: x\r\n\r\n`, [400]],
  ['header without a colon', `GET / HTTP/1.1\r\n${H}NoColonHere\r\n\r\n`, [400]],
  ['bare LF line endings with an obs-fold', `GET / HTTP/1.1\r\n${H}X-A: 1\r\n  folded\r\n\r\n`, [400]],
  ['bad chunk size', `POST /upload HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`, [400]],
  ['chunk longer than announced', `POST /upload HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n`, [400]],
  ['Content-Length and Transfer-Encoding together (smuggling)', `POST /upload HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`, [400]],
  ['two different Content-Length values', `POST /upload HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`, [400]],
  ['negative Content-Length', `POST /upload HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`, [400]],
  ['unknown Transfer-Encoding', `POST /upload HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\nabc`, [400, 501]],
  ['asterisk-form on GET', `GET * HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, [400]],
  ['absolute-form with a non-http scheme', `GET ftp://gatehouse.test/ HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, [400]],
  ['path with an encoded NUL', `GET /a%00b HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, [400]],
  ['very long path', `GET /${'a'.repeat(9000)} HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, [400, 414, 431]],
];

describe('malformed requests', () => {
  for (const [name, bytes, statuses] of MALFORMED) {
    test(`${name}: ${statuses.join(' or ')}, and the listener keeps serving`, async () => {
      const before = app.requests.length;
      const completedBefore = completed.length;
      const answer = await rawExchange(gh.port, bytes);
      assert.ok(statuses.includes(answer.status), `${name}: got ${answer.status}: ${JSON.stringify(answer.raw.slice(0, 200))}`);
      assert.ok(!/\bat .*:\d+:\d+|node:internal/.test(answer.raw), 'no stack trace');
      if (bytes.startsWith('POST /upload')) {
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(completed.slice(completedBefore), [], `${name}: the upstream got a complete request`);
      } else {
        assert.equal(app.requests.length, before, `${name} reached the upstream`);
      }
      assert.equal((await send(gh.port, { path: '/after' })).status, 200);
    });
  }

  test('CONNECT is not tunnelled: refused (or closed) without reaching the upstream', async () => {
    const before = app.requests.length;
    const answer = await rawExchange(gh.port, `CONNECT 127.0.0.1:${app.port} HTTP/1.1\r\nHost: 127.0.0.1:${app.port}\r\n\r\n`);
    assert.ok(answer.status === 0 || (answer.status >= 400 && answer.status < 500), `CONNECT got ${answer.status}`);
    assert.equal(app.requests.length, before);
    assert.equal((await send(gh.port, { path: '/after' })).status, 200);
  });

  test('a client that disconnects mid-upload does not disturb the process', async () => {
    await rawExchange(gh.port, `POST /upload HTTP/1.1\r\n${H}Content-Length: 1000000\r\n\r\npartial`, 300).catch(() => undefined);
    assert.equal((await send(gh.port, { path: '/after' })).status, 200);
  });

  test('the process is still healthy after every malformed request above', async () => {
    assert.equal((await send(gh.adminPort, { path: '/healthz' })).status, 200);
    assert.equal((await send(gh.adminPort, { path: '/readyz' })).status, 200);
  });
});

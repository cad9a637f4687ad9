// What the upstream and the client see of each other's headers: hop-by-hop headers (RFC 9110 §7.6.1, including
// those named in Connection) are removed both ways; X-Forwarded-For/Proto/Host are Gatehouse's, believed from
// clients only when the peer is a trusted proxy (and then appended to).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  configObject, headerNames, rawExchange, startGatehouse, startUpstream, validConfig,
  type RunningGatehouse, type TestUpstream,
} from '../helpers/core-net.js';

describe('hop-by-hop headers', () => {
  let app: TestUpstream;
  let gh: RunningGatehouse;
  before(async () => {
    app = await startUpstream('app', (req, res) => {
      req.resume();
      req.on('end', () => {
        // The upstream's own hop-by-hop headers, and one it names in Connection.
        res.writeHead(200, [
          ['Content-Type', 'text/plain'], ['Connection', 'x-upstream-secret'], ['X-Upstream-Secret', 'hop'],
          ['Keep-Alive', 'timeout=5'], ['Proxy-Authenticate', 'Basic realm="upstream"'], ['Trailer', 'X-Checksum'],
          ['Upgrade', 'h2c'], ['X-Upstream-Kept', 'yes'],
        ].flat() as unknown as Record<string, string>);
        res.end('ok');
      });
    });
    gh = await startGatehouse(validConfig(configObject({ app: app.url }, [{ name: 'all', policy: 'public', upstream: 'app' }])));
  });
  after(async () => {
    await gh.close();
    await app.close();
  });

  test('are not forwarded upstream, including a header named in Connection', async () => {
    const answer = await rawExchange(gh.port, [
      'POST /h HTTP/1.1', 'Host: gatehouse.test', 'Connection: close, X-Secret, x-other-secret', 'Keep-Alive: timeout=99',
      'TE: trailers', 'Trailer: X-Checksum', 'Upgrade: h2c', 'Proxy-Authorization: Basic dXNlcjpwYXNz', 'Proxy-Connection: keep-alive',
      'X-Secret: named-in-connection', 'X-Other-Secret: also-named', 'X-Kept: yes', 'Content-Length: 4', '', 'body',
    ].join('\r\n'));
    assert.equal(answer.status, 200, answer.raw.slice(0, 300));
    const got = app.requests.at(-1)!;
    const names = headerNames(got);
    for (const hop of ['connection', 'keep-alive', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-connection', 'x-secret', 'x-other-secret']) {
      // node:http answers with its own Connection header on the upstream connection, which is fine; a copy of the
      // client's never arrives (its value names the client's hop headers).
      if (hop === 'connection') {
        assert.ok(!String(got.headers.connection ?? '').toLowerCase().includes('x-secret'), `client Connection forwarded: ${got.headers.connection}`);
        continue;
      }
      assert.ok(!names.includes(hop), `${hop} reached the upstream (${names.join(', ')})`);
    }
    assert.equal(got.headers['x-kept'], 'yes');
    assert.equal(got.headers['content-length'], '4', 'a fixed-length body keeps its length');
  });

  test('are not passed back to the client, including a header the upstream named in Connection', async () => {
    const answer = await rawExchange(gh.port, 'GET /h HTTP/1.1\r\nHost: gatehouse.test\r\nConnection: close\r\n\r\n');
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['x-upstream-kept'], 'yes');
    for (const hop of ['x-upstream-secret', 'proxy-authenticate', 'trailer', 'upgrade']) {
      assert.equal(answer.headers[hop], undefined, `${hop} reached the client`);
    }
    assert.notEqual(answer.headers['keep-alive'], 'timeout=5', 'the upstream\'s Keep-Alive reached the client');
    assert.equal(answer.body, 'ok');
  });

  test('the "_" spelling of a header Gatehouse sets (x_forwarded_for, x_real_ip) is dropped too', async () => {
    // CGI, PHP and nginx with underscores_in_headers read X_Forwarded_For as X-Forwarded-For.
    const answer = await rawExchange(gh.port, 'GET /h HTTP/1.1\r\nHost: gatehouse.test\r\nx_forwarded_for: 6.6.6.6\r\nX_Real_IP: 6.6.6.6\r\nX_FORWARDED_PROTO: https\r\nConnection: close\r\n\r\n');
    assert.equal(answer.status, 200);
    const got = app.requests.at(-1)!;
    assert.ok(!got.rawHeaders.some((v) => v.includes('6.6.6.6') || v === 'https'), got.rawHeaders.join(' | '));
  });
});

describe('X-Forwarded-* without a trusted proxy', () => {
  let app: TestUpstream;
  let gh: RunningGatehouse;
  before(async () => {
    app = await startUpstream('app');
    gh = await startGatehouse(validConfig(configObject({ app: app.url }, [{ name: 'all', policy: 'public', upstream: 'app' }])));
  });
  after(async () => {
    await gh.close();
    await app.close();
  });

  test('a spoofed chain from an untrusted peer is replaced by the peer address', async () => {
    const answer = await rawExchange(gh.port, [
      'GET /x HTTP/1.1', 'Host: app.example.test', 'X-Forwarded-For: 203.0.113.9, 10.0.0.1', 'X-Forwarded-For: 198.51.100.1',
      'X-Forwarded-Proto: https', 'X-Forwarded-Host: evil.test', 'x_forwarded_for: 6.6.6.6', 'Connection: close', '', '',
    ].join('\r\n'));
    assert.equal(answer.status, 200);
    const got = app.requests.at(-1)!;
    assert.equal(got.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(got.headers['x-forwarded-proto'], 'http');
    assert.equal(got.headers['x-forwarded-host'], 'app.example.test');
    const names = headerNames(got);
    for (const n of ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']) assert.equal(names.filter((x) => x === n).length, 1, n);
    assert.ok(!got.rawHeaders.some((v) => /203\.0\.113\.9|198\.51\.100\.1|6\.6\.6\.6|evil\.test/.test(v)),
      `a client-stated value reached the upstream: ${got.rawHeaders.join(' | ')}`);
  });

  test('without incoming headers: the peer, http, and the Host header', async () => {
    const answer = await rawExchange(gh.port, 'GET /x HTTP/1.1\r\nHost: plain.test:8080\r\nConnection: close\r\n\r\n');
    assert.equal(answer.status, 200);
    const got = app.requests.at(-1)!;
    assert.equal(got.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(got.headers['x-forwarded-proto'], 'http');
    assert.equal(got.headers['x-forwarded-host'], 'plain.test:8080');
    assert.equal(got.headers['host'], 'plain.test:8080', 'the Host header is passed through');
  });
});

describe('X-Forwarded-* behind a trusted proxy (127.0.0.1/32)', () => {
  let app: TestUpstream;
  let gh: RunningGatehouse;
  before(async () => {
    app = await startUpstream('app');
    gh = await startGatehouse(validConfig(configObject({ app: app.url }, [{ name: 'all', policy: 'public', upstream: 'app' }],
      { server: { trusted_proxies: ['127.0.0.1/32', '10.0.0.0/8'] } })));
  });
  after(async () => {
    await gh.close();
    await app.close();
  });

  test('the incoming chain is kept and the peer appended; proto and host are believed', async () => {
    const answer = await rawExchange(gh.port, [
      'GET /x HTTP/1.1', 'Host: internal:4180', 'X-Forwarded-For: 203.0.113.9', 'X-Forwarded-Proto: https',
      'X-Forwarded-Host: public.example.test', 'Connection: close', '', '',
    ].join('\r\n'));
    assert.equal(answer.status, 200);
    const got = app.requests.at(-1)!;
    assert.equal(got.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
    assert.equal(got.headers['x-forwarded-proto'], 'https');
    assert.equal(got.headers['x-forwarded-host'], 'public.example.test');
  });

  test('repeated X-Forwarded-For headers are joined in order; nonsense proto falls back to the connection\'s', async () => {
    const answer = await rawExchange(gh.port, [
      'GET /x HTTP/1.1', 'Host: internal', 'X-Forwarded-For: 198.51.100.7, 10.1.2.3', 'X-Forwarded-For: 10.9.9.9',
      'X-Forwarded-Proto: gopher', 'Connection: close', '', '',
    ].join('\r\n'));
    assert.equal(answer.status, 200);
    const got = app.requests.at(-1)!;
    assert.equal(got.headers['x-forwarded-for'], '198.51.100.7, 10.1.2.3, 10.9.9.9, 127.0.0.1');
    assert.equal(got.headers['x-forwarded-proto'], 'http');
  });

  test('a trusted peer without X-Forwarded-For is itself the client', async () => {
    const answer = await rawExchange(gh.port, 'GET /x HTTP/1.1\r\nHost: internal\r\nConnection: close\r\n\r\n');
    assert.equal(answer.status, 200);
    assert.equal(app.requests.at(-1)!.headers['x-forwarded-for'], '127.0.0.1');
  });
});

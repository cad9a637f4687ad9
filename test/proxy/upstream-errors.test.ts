// Upstream failures: refused -> 502, slower than `timeout` -> 504, reset -> 502; each a small JSON body (or an HTML
// page for browsers), counted by upstream and reason, and never a stack trace or an internal address.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  closedPort, configObject, sample, sampleSum, scrape, send, startGatehouse, startUpstream, validConfig,
  type RunningGatehouse, type TestUpstream,
} from '../helpers/core-net.js';

let slow: TestUpstream;
let resetting: TestUpstream;
let stalling: TestUpstream;
let gh: RunningGatehouse;
let deadPort: number;

before(async () => {
  deadPort = await closedPort();
  slow = await startUpstream('slow', (req, res) => {
    req.resume();
    const timer = setTimeout(() => res.end('too late'), 2000);
    res.on('close', () => clearTimeout(timer));
  });
  resetting = await startUpstream('resetting', (req) => { req.socket.destroy(); });
  stalling = await startUpstream('stalling', (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial');
    const timer = setTimeout(() => res.end('never'), 3000);
    res.on('close', () => clearTimeout(timer));
  });
  gh = await startGatehouse(validConfig(configObject({
    dead: `http://127.0.0.1:${deadPort}`,
    slow: { url: slow.url, timeout: '300ms' },
    resetting: resetting.url,
    stalling: { url: stalling.url, timeout: '300ms' },
  }, [
    { name: 'dead', match: { path: '/dead/' }, policy: 'public', upstream: 'dead' },
    { name: 'slow', match: { path: '/slow/' }, policy: 'public', upstream: 'slow' },
    { name: 'resetting', match: { path: '/reset/' }, policy: 'public', upstream: 'resetting' },
    { name: 'stalling', match: { path: '/stall/' }, policy: 'public', upstream: 'stalling' },
  ])));
});
after(async () => {
  await gh.close();
  await slow.close();
  await resetting.close();
  await stalling.close();
});

function assertNoLeak(body: string): void {
  assert.ok(!/\bat .*\(.*:\d+:\d+\)|node:internal|\.js:\d+/.test(body), `stack trace in body: ${body}`);
  assert.ok(!body.includes(String(deadPort)) && !/ECONNREFUSED|UND_ERR|127\.0\.0\.1/.test(body), `internal detail in body: ${body}`);
}

describe('upstream failures', () => {
  test('refused: 502 with a JSON body', async () => {
    const r = await send(gh.port, { path: '/dead/x', headers: { accept: 'application/json' } });
    assert.equal(r.status, 502);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(r.body), { error: 'bad_gateway', code: 'GATE_ERR_UPSTREAM_UNAVAILABLE', message: 'upstream unavailable' });
    assertNoLeak(r.body);
  });

  test('refused: 502 as an HTML page for a browser', async () => {
    const r = await send(gh.port, { path: '/dead/x', headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    assert.equal(r.status, 502);
    assert.match(String(r.headers['content-type']), /^text\/html/);
    assert.match(r.body, /<!doctype html>/i);
    assert.match(r.body, /502/);
    assertNoLeak(r.body);
  });

  test('slower than timeout (300ms): 504 JSON, answered soon after the timeout', async () => {
    const t0 = Date.now();
    const r = await send(gh.port, { path: '/slow/x' });
    const took = Date.now() - t0;
    assert.equal(r.status, 504);
    assert.deepEqual(JSON.parse(r.body), { error: 'gateway_timeout', code: 'GATE_ERR_UPSTREAM_TIMEOUT', message: 'upstream timed out' });
    assert.ok(took >= 250 && took < 1500, `answered after ${took} ms`);
    assertNoLeak(r.body);
  });

  test('slower than timeout: 504 HTML for a browser', async () => {
    const r = await send(gh.port, { path: '/slow/x', headers: { accept: 'text/html' } });
    assert.equal(r.status, 504);
    assert.match(String(r.headers['content-type']), /^text\/html/);
    assertNoLeak(r.body);
  });

  test('connection reset before an answer: 502', async () => {
    const r = await send(gh.port, { path: '/reset/x' });
    assert.equal(r.status, 502);
    assert.equal(JSON.parse(r.body).code, 'GATE_ERR_UPSTREAM_UNAVAILABLE');
    assertNoLeak(r.body);
  });

  test('a body that stalls longer than timeout after the headers: the client connection is cut, not left hanging', async () => {
    const t0 = Date.now();
    const outcome = await send(gh.port, { path: '/stall/x', timeoutMs: 2500 }).then((r) => `complete ${r.status} ${r.body}`, (err: Error) => `cut: ${err.message}`);
    assert.match(outcome, /^cut: (aborted|socket hang up|.*ECONNRESET)/);
    assert.ok(Date.now() - t0 < 2000, 'cut within the body timeout, well before the upstream would have finished');
  });

  test('each failure is counted by upstream and reason', async () => {
    const metrics = await scrape(gh.adminPort);
    assert.ok((sample(metrics, 'gatehouse_upstream_errors_total', { upstream: 'dead', reason: 'refused' }) ?? 0) >= 2, metrics);
    assert.ok((sample(metrics, 'gatehouse_upstream_errors_total', { upstream: 'slow', reason: 'timeout' }) ?? 0) >= 2);
    assert.ok(sampleSum(metrics, 'gatehouse_upstream_errors_total', { upstream: 'resetting' }) >= 1, metrics);
    assert.ok((sample(metrics, 'gatehouse_upstream_errors_total', { upstream: 'stalling', reason: 'timeout' }) ?? 0) >= 1);
    assert.ok((sample(metrics, 'gatehouse_http_requests_total', { route: 'dead', code: '502' }) ?? 0) >= 2);
    assert.ok((sample(metrics, 'gatehouse_http_requests_total', { route: 'slow', code: '504' }) ?? 0) >= 2);
  });

  test('the process keeps serving after all that', async () => {
    const r = await send(gh.adminPort, { path: '/healthz' });
    assert.equal(r.status, 200);
    assert.equal((await send(gh.port, { path: '/nowhere' })).status, 404);
  });
});

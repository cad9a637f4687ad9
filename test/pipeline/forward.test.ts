// Stage 6, forward (HTTP): what each upstream outcome becomes for the client (the answer relayed, 502, 504, a cut
// connection, nothing for a client that left) and for the metrics. The upstream is a scripted stand-in for undici's
// dispatcher (the one network edge here), so no socket is opened; proxy/ tests forward over real sockets.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { createForward } from '../../src/pipeline/6-forward/forward.js';
import type { RuntimeTable } from '../../src/pipeline/runtime-table.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { silentLogger } from '../../src/log/logger.js';
import { sample } from '../helpers/core-net.js';
import { closeTable, context, tableOf } from './helpers.js';

/** The parts of a ServerResponse the forward stage uses, recording what was written. */
class FakeResponse extends EventEmitter {
  statusCode = 0;
  headersSent = false;
  writableFinished = false;
  destroyed = false;
  headers: unknown = {};
  readonly chunks: Buffer[] = [];
  writeHead(status: number, headers: unknown): this {
    this.statusCode = status;
    this.headers = headers;
    this.headersSent = true;
    return this;
  }
  write(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }
  end(): void {
    this.writableFinished = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

type Script = (handler: Dispatcher.DispatchHandler, controller: Dispatcher.DispatchController, res: FakeResponse) => void;

const coded = (code: string): Error => Object.assign(new Error(code), { code });
const SCRIPTS: Record<string, Script> = {
  answers: (h, c) => {
    h.onRequestStart!(c, {});
    h.onResponseStart!(c, 103, {}, 'Early Hints');
    h.onResponseStart!(c, 201, { 'content-type': 'text/plain', connection: 'keep-alive', 'keep-alive': 'timeout=5' }, 'Created');
    h.onResponseData!(c, Buffer.from('made'));
    h.onResponseEnd!(c, {});
  },
  refused: (h, c) => { h.onRequestStart!(c, {}); h.onResponseError!(c, coded('ECONNREFUSED')); },
  slow: (h, c) => { h.onRequestStart!(c, {}); h.onResponseError!(c, coded('UND_ERR_HEADERS_TIMEOUT')); },
  unreachable: (h, c) => { h.onRequestStart!(c, {}); h.onResponseError!(c, coded('UND_ERR_CONNECT_TIMEOUT')); },
  'reset midway': (h, c) => {
    h.onRequestStart!(c, {});
    h.onResponseStart!(c, 200, {}, 'OK');
    h.onResponseData!(c, Buffer.from('half'));
    h.onResponseError!(c, coded('ECONNRESET'));
  },
  'client leaves': (h, c, res) => { h.onRequestStart!(c, {}); res.emit('close'); },
  'refused by undici': () => { throw new TypeError('invalid header value'); },
};

/**
 * A table whose upstream `app` dispatches by the script named in the request path, recording the paths asked;
 * `answerInto` names the response the next script acts on.
 */
function scriptedTable(): { table: RuntimeTable; paths: string[]; base: RuntimeTable; answerInto(res: FakeResponse): void } {
  const base = tableOf([{ name: 'all', policy: 'public', upstream: 'app' }]);
  const real = base.upstreams.get('app')!;
  const paths: string[] = [];
  let current: FakeResponse | undefined;
  const pool = {
    dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      paths.push(String(options.path));
      const name = decodeURIComponent(String(options.path).slice(1));
      const controller: Dispatcher.DispatchController = {
        aborted: false, paused: false, reason: null,
        abort(reason: Error) { handler.onResponseError!(controller, reason); },
        pause() {}, resume() {},
      } as unknown as Dispatcher.DispatchController;
      SCRIPTS[name]!(handler, controller, current!);
      return true;
    },
  };
  const upstream = { ...real, basePath: '', pool } as unknown as typeof real;
  const table: RuntimeTable = { ...base, upstreams: new Map([['app', upstream]]) };
  return { table, paths, base, answerInto: (res) => { current = res; } };
}

const scripted = scriptedTable();
after(() => closeTable(scripted.base));

test('each upstream outcome: what the client gets and what is counted', async () => {
  const rows: [script: string, answer: number | undefined, outcome: string, relayed: number, reason: string | undefined, destroyed: boolean][] = [
    ['answers', undefined, 'forwarded', 201, undefined, false],
    ['refused', 502, 'upstream_failed', 0, 'refused', false],
    ['slow', 504, 'upstream_failed', 0, 'timeout', false],
    ['unreachable', 504, 'upstream_failed', 0, 'connect_timeout', false],
    ['reset midway', undefined, 'upstream_failed', 200, 'reset', true],
    ['client leaves', undefined, 'client_gone', 0, undefined, false],
    ['refused by undici', 502, 'upstream_failed', 0, 'error', false],
  ];
  for (const [script, answer, outcome, relayed, reason, destroyed] of rows) {
    const metrics = createMetrics();
    const forward = createForward({ metrics, logger: silentLogger() });
    const res = new FakeResponse();
    scripted.answerInto(res);
    const ctx = context();
    ctx.route = 'all';
    const req = { method: 'GET', headers: {} } as IncomingMessage;
    const route = scripted.table.routes.match('gatehouse.test', { path: '/', matchPath: '/' }, 'GET')!;
    const err = await forward.http(req, res as unknown as ServerResponse, { route, pathAndQuery: `/${encodeURIComponent(script)}` }, [], scripted.table, ctx);
    assert.equal(err?.status, answer, `${script}: the error to answer`);
    assert.equal(ctx.outcome, outcome, script);
    assert.equal(ctx.reason, reason, script);
    assert.equal(res.statusCode, relayed, `${script}: status relayed`);
    assert.equal(res.destroyed, destroyed, `${script}: a half-sent answer is cut, not completed`);
    const text = await metrics.registry.metrics();
    assert.equal(sample(text, 'gatehouse_upstream_errors_total', { upstream: 'app', reason: reason ?? 'none' }) ?? 0, reason === undefined ? 0 : 1, `${script}: counted`);
  }
  assert.equal(scripted.paths[0], '/answers', 'the judged path goes to the dispatcher');
});

test('a relayed answer: the final status and body, 1xx dropped, hop-by-hop headers removed', async () => {
  const forward = createForward({ metrics: createMetrics(), logger: silentLogger() });
  const res = new FakeResponse();
  scripted.answerInto(res);
  const route = scripted.table.routes.match('gatehouse.test', { path: '/', matchPath: '/' }, 'GET')!;
  const ctx = context();
  await forward.http({ method: 'GET', headers: {} } as IncomingMessage, res as unknown as ServerResponse, { route, pathAndQuery: '/answers' }, [], scripted.table, ctx);
  assert.equal(res.statusCode, 201);
  // One flat list for writeHead: the upstream's headers, then the id the request was logged under.
  assert.deepEqual(res.headers, ['content-type', 'text/plain', 'X-Request-Id', ctx.id]);
  assert.equal(Buffer.concat(res.chunks).toString(), 'made');
  assert.equal(res.writableFinished, true);
});

// OpenTelemetry tracing, exported by the real SDK over OTLP/HTTP (JSON) to a receiver on loopback in this test:
// a request's server span continues a trusted proxy's traceparent (never a client's), the upstream receives a
// traceparent naming that span, and the session lookup on a cache miss, the store calls, the hash pool wait and
// hash, and OAuth provider calls are spans of the same trace. Off by default, with nothing sent upstream of ours.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { ProviderHttpClient } from '../../src/auth/oauth/http-client.js';
import { createTracing, parseTraceparent } from '../../src/tracing/tracing.js';
import { parseConfigText } from '../../src/config/index.js';
import { sqliteDatabase, type TestDatabase } from '../store/databases.js';
import { startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { eventually, startUpstream, within, type TestUpstream } from '../helpers/core-net.js';
import { api, approvedOrg, platformOwner, Receiver, signUp, startApiWorld } from '../api/api-helpers.js';

/** A span as the OTLP/JSON export carries it (opentelemetry-proto, JSON mapping). */
interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  status?: { code?: number };
  service: string;
}

/** An OTLP/HTTP receiver: POST /v1/traces with a JSON ExportTraceServiceRequest; anything else is a test failure. */
async function startReceiver(): Promise<{ url: string; spans: ExportedSpan[]; contentTypes: string[]; close(): Promise<void> }> {
  const spans: ExportedSpan[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      contentTypes.push(String(req.headers['content-type']));
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { resource: { attributes: { key: string; value: Record<string, unknown> }[] }; scopeSpans: { spans: Record<string, unknown>[] }[] }[];
      };
      for (const rs of body.resourceSpans) {
        const service = String(rs.resource.attributes.find((a) => a.key === 'service.name')?.value['stringValue']);
        for (const ss of rs.scopeSpans) {
          for (const s of ss.spans) {
            const attributes: Record<string, unknown> = {};
            for (const a of s['attributes'] as { key: string; value: Record<string, unknown> }[]) attributes[a.key] = Object.values(a.value)[0];
            spans.push({
              traceId: s['traceId'] as string, spanId: s['spanId'] as string, parentSpanId: (s['parentSpanId'] as string | undefined) || undefined,
              name: s['name'] as string, kind: s['kind'] as number, attributes, status: s['status'] as { code?: number }, service,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`, spans, contentTypes,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

interface Answer { status: number; headers: IncomingHttpHeaders; body: string }
function call(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string; from?: string } = {}): Promise<Answer> {
  return within(5000, `${options.method ?? 'GET'} ${path}`, new Promise<Answer>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false, localAddress: options.from ?? '127.0.0.1' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(options.body);
  }));
}

const PROXY = '127.0.0.2';
const ROUTES = [
  { name: 'private', match: { path: '/private/' }, policy: 'authenticated', upstream: 'app' },
  { name: 'public', match: { path: '/' }, policy: 'public', upstream: 'app' },
];

describe('tracing on, exported over OTLP/HTTP to a loopback receiver', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let db: TestDatabase;
  let upstream: TestUpstream;
  let gh: FullGatehouse;
  let cookie: string;
  const lines: Record<string, unknown>[] = [];

  before(async () => {
    receiver = await startReceiver();
    db = sqliteDatabase();
    upstream = await startUpstream('app');
    const logger = createLogger('info', new Writable({ write(chunk, _e, done) { lines.push(JSON.parse(String(chunk))); done(); } }));
    gh = await startFullGatehouse(db, { app: upstream.url }, ROUTES, {
      server: { trusted_proxies: [PROXY] },
      sessions: { cookie: { secure: false, name: 'gh_session' } },
      auth: { local: { registration: 'open' } },
      tracing: { enabled: true, otlp_endpoint: receiver.url, export_interval: '50ms', service_name: 'gatehouse-test' },
    }, { logger });
    const body = JSON.stringify({ email: 'tess@example.com', password: 'a long enough passphrase' });
    const registered = await call(gh.port, '/.gatehouse/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(registered.status, 202, registered.body);
    const login = await call(gh.port, '/.gatehouse/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(login.status, 200, login.body);
    cookie = String(login.headers['set-cookie']).split(';')[0]!;
  });
  after(async () => {
    await gh?.stop();
    await upstream?.close();
    await db?.drop();
    await receiver?.close();
  });

  const spansOf = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);

  test('a trusted proxy\'s trace is continued; the upstream gets a traceparent naming the request span; the miss, its store calls and the log line share the trace', async () => {
    gh.auth.sessions.cache.clear(); // the next request is a cache miss: the session is read from the store
    const parent = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
    const res = await call(gh.port, '/private/report?x=1', { from: PROXY, headers: { cookie, traceparent: `00-${parent.traceId}-${parent.spanId}-01`, tracestate: 'edge=1' } });
    assert.equal(res.status, 200);
    const sent = upstream.requests.at(-1)!.headers;
    const upstreamParent = parseTraceparent(sent.traceparent);
    assert.ok(upstreamParent, `the upstream got a well-formed traceparent: ${sent.traceparent}`);
    assert.equal(upstreamParent.traceId, parent.traceId, 'same trace');
    assert.notEqual(upstreamParent.spanId, parent.spanId, 'a new parent: Gatehouse\'s span');
    assert.equal(sent.tracestate, 'edge=1', 'a trusted caller\'s tracestate travels with its trace');

    const server = await eventually(5000, 'the request span exported', () => spansOf(parent.traceId).find((s) => s.kind === 2));
    assert.equal(server.parentSpanId, parent.spanId);
    assert.equal(server.spanId, upstreamParent.spanId, 'the upstream\'s parent is the request span');
    assert.equal(server.name, 'GET private');
    assert.equal(server.service, 'gatehouse-test');
    assert.equal(server.attributes['http.route'], 'private');
    assert.equal(String(server.attributes['http.response.status_code']), '200');
    assert.equal(server.attributes['url.path'], '/private/report', 'no query in the span');
    assert.equal(server.attributes['gatehouse.request_id'], res.headers['x-request-id']);
    assert.ok(server.attributes['enduser.id'], 'the user id');

    const lookup = await eventually(5000, 'the session lookup span', () => spansOf(parent.traceId).find((s) => s.name === 'session lookup'));
    assert.equal(lookup.parentSpanId, server.spanId);
    const storeCalls = spansOf(parent.traceId).filter((s) => s.name.startsWith('store '));
    assert.ok(storeCalls.some((s) => s.name === 'store sessions.get'), `store spans: ${storeCalls.map((s) => s.name).join(', ')}`);
    for (const s of storeCalls) assert.equal(s.parentSpanId, lookup.spanId, `${s.name} is a child of the lookup`);

    const line = await eventually(2000, 'the access line', () => lines.find((l) => l['msg'] === 'request' && l['request_id'] === res.headers['x-request-id']));
    assert.equal(line['trace_id'], parent.traceId);
    assert.ok(receiver.contentTypes.every((c) => c.startsWith('application/json')), receiver.contentTypes.join());
  });

  test('a client that is not a trusted proxy starts a new trace: its traceparent and tracestate never reach the upstream', async () => {
    const theirs = '00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-01';
    const res = await call(gh.port, '/anything', { headers: { traceparent: theirs, tracestate: 'evil=1' } });
    assert.equal(res.status, 200);
    const sent = upstream.requests.at(-1)!;
    assert.notEqual(sent.headers.traceparent, theirs);
    assert.equal(sent.rawHeaders.filter((h) => h.toLowerCase() === 'traceparent').length, 1, 'exactly one traceparent');
    assert.equal(sent.headers.tracestate, undefined);
    const mine = parseTraceparent(sent.headers.traceparent)!;
    assert.notEqual(mine.traceId, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    const server = await eventually(5000, 'the new trace', () => spansOf(mine.traceId).find((s) => s.kind === 2));
    assert.equal(server.parentSpanId, undefined, 'a root span');
  });

  test('a login: the hash pool wait and the hash are spans of the request', async () => {
    const res = await call(gh.port, '/.gatehouse/login', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'tess@example.com', password: 'a long enough passphrase' }),
    });
    assert.equal(res.status, 200, res.body);
    const line = await eventually(2000, 'the login line', () => lines.find((l) => l['msg'] === 'request' && l['request_id'] === res.headers['x-request-id']));
    const traceId = String(line['trace_id']);
    const server = await eventually(5000, 'the login request span', () => spansOf(traceId).find((s) => s.kind === 2));
    const wait = await eventually(5000, 'the hash pool wait span', () => spansOf(traceId).find((s) => s.name === 'hash pool wait'));
    const verify = spansOf(traceId).find((s) => s.name === 'password verify');
    assert.ok(verify, `spans: ${spansOf(traceId).map((s) => s.name).join(', ')}`);
    assert.equal(wait.parentSpanId, server.spanId);
    assert.equal(verify.parentSpanId, server.spanId);
    assert.ok(spansOf(traceId).some((s) => s.name === 'store users.getByEmail'), 'the account read is traced');
  });
});

test('OAuth provider calls are client spans with the provider and status', async () => {
  const receiver = await startReceiver();
  const provider = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}'));
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  const metrics = createMetrics();
  const config = parseConfigText(`upstreams: { app: { url: "http://127.0.0.1:1" } }\nroutes: []\ntracing: { enabled: true, otlp_endpoint: "${receiver.url}", export_interval: 50ms }\n`, {});
  metrics.tracing = await createTracing(config.tracing, { logger: silentLogger(), version: 'test' });
  const client = new ProviderHttpClient('corp', 2000, metrics, () => 'jwks');
  try {
    const url = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/jwks`;
    assert.equal((await client.fetch(url, { method: 'GET', headers: {} })).status, 200);
    await metrics.tracing.shutdown();
    const span = await eventually(5000, 'the provider span', () => receiver.spans.find((s) => s.name === 'oauth jwks'));
    assert.equal(span.kind, 3, 'CLIENT');
    assert.equal(span.attributes['gatehouse.oauth.provider'], 'corp');
    assert.equal(String(span.attributes['http.response.status_code']), '200');
  } finally {
    await client.close();
    provider.close();
    await receiver.close();
  }
});

test('a webhook delivery is a root client span with its outcome, and the receiver is sent no traceparent', async () => {
  const receiver = await startReceiver();
  const db = sqliteDatabase();
  const world = await startApiWorld(db, { tracing: { enabled: true, otlp_endpoint: receiver.url, export_interval: '50ms' } });
  const hooks = await new Receiver().start();
  try {
    const po = await platformOwner(world.gh);
    const owner = await signUp(world.gh, 'owner');
    const org = await approvedOrg(world.gh, owner, po);
    const created = await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/webhooks`, { json: { url: hooks.url, events: ['member.added'] } });
    assert.equal(created.status, 201, created.text);
    hooks.secret = created.json.secret;
    const member = await signUp(world.gh, 'm');
    assert.equal((await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/members`, { json: { user_id: member.id, role: 'member' } })).status, 201);
    await eventually(5000, 'the delivery', () => hooks.received.length === 1);
    assert.equal(hooks.received[0]!.headers.traceparent, undefined, 'a webhook receiver is a third party');
    const span = await eventually(5000, 'the delivery span', () => receiver.spans.find((s) => s.name === 'webhook deliver'));
    assert.equal(span.parentSpanId, undefined, 'background work: a root span');
    assert.equal(span.kind, 3, 'CLIENT');
    assert.equal(span.attributes['gatehouse.webhook.event'], 'member.added');
    assert.equal(span.attributes['gatehouse.delivery.outcome'], 'delivered');
    assert.ok(Number(span.attributes["http.response.status_code"]) >= 200 && Number(span.attributes["http.response.status_code"]) < 300);
    assert.equal(span.attributes['gatehouse.webhook.id'], created.json.id);
    // The deliverer's own store calls run in its loop's context, not in the context of the request that woke it.
    const deliverer = receiver.spans.filter((s) => s.name.startsWith('store deliveries.'));
    assert.ok(deliverer.length > 0, `the deliverer's store calls are traced: ${receiver.spans.map((s) => s.name).join(', ')}`);
    const requestSpans = new Set(receiver.spans.filter((s) => s.kind === 2).map((s) => s.spanId));
    for (const s of deliverer) assert.ok(s.parentSpanId === undefined || !requestSpans.has(s.parentSpanId), `${s.name} is not a request's child`);
  } finally {
    await hooks.close();
    await world.stop();
    await db.drop();
    await receiver.close();
  }
});

test('tracing is off by default: no span, no traceparent of ours, the client\'s passes through untouched', async () => {
  const config = parseConfigText('upstreams: { app: { url: "http://127.0.0.1:1" } }\nroutes: []\n', {});
  assert.equal(config.tracing.enabled, false);
  const tracing = await createTracing(config.tracing, { logger: silentLogger(), version: 'test' });
  assert.equal(tracing.enabled, false);
  const db = sqliteDatabase();
  const upstream = await startUpstream('app');
  const gh = await startFullGatehouse(db, { app: upstream.url }, ROUTES, {});
  try {
    const theirs = '00-cccccccccccccccccccccccccccccccc-dddddddddddddddd-01';
    await call(gh.port, '/x', { headers: { traceparent: theirs } });
    assert.equal(upstream.requests.at(-1)!.headers.traceparent, theirs, 'a proxy that does not trace is transparent to traces');
  } finally {
    await gh.stop();
    await upstream.close();
    await db.drop();
  }
});

test('parseTraceparent follows W3C Trace Context', () => {
  assert.deepEqual(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 });
  assert.equal(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')?.traceFlags, 0);
  for (const bad of [
    undefined, '', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
  ]) assert.equal(parseTraceparent(bad), undefined, String(bad));
  assert.ok(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future'), 'a later version\'s extra fields are ignored');
});

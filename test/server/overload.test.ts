// Admission by lateness and the bounds on slow and idle clients, end to end on real sockets: under an induced stall
// (the event loop blocked) the next requests get a quick pre-built 503 and their connections are closed while the
// admin listener's probes answer; past the low-priority target only anonymous requests to protected routes and
// Gatehouse's own endpoints are refused; a slow-headers client is cut off at the headers timeout; the connection
// bound holds; an idle keep-alive connection is closed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  configObject, eventually, parseRaw, sample, scrape, send, startGatehouse, startUpstream, validConfig,
  type RawAnswer, type RunningGatehouse, type TestUpstream,
} from '../helpers/core-net.js';
import { sqliteDatabase, type TestDatabase } from '../store/databases.js';
import { startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';

/** Blocks this process's event loop (Gatehouse runs in it) for `ms`: the stall. */
function blockLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* stall */ }
}

/** A connected client socket that records what it receives and when the server closed it. */
interface Client {
  readonly socket: Socket;
  /** Resolves when the socket closes: everything received, and when (performance.now()). */
  readonly closed: Promise<{ answer: RawAnswer; at: number }>;
  /** Resolves with the first complete answer's text (enough for one small response). */
  firstData(): Promise<string>;
  /** Sends one request and waits for its answer, so the connection is surely accepted; then forgets the answer. */
  warm(request: string): Promise<void>;
  /** Forgets what was received so far. */
  forget(): void;
}

async function client(port: number): Promise<Client> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const chunks: Buffer[] = [];
  let onData: (() => void) | undefined;
  socket.on('data', (c: Buffer) => { chunks.push(c); onData?.(); });
  const closed = new Promise<{ answer: RawAnswer; at: number }>((resolve) => {
    socket.on('close', () => resolve({ answer: parseRaw(Buffer.concat(chunks).toString('latin1')), at: performance.now() }));
  });
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  const firstData = (): Promise<string> => new Promise((resolve) => {
    const check = (): void => {
      const text = Buffer.concat(chunks).toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text)?.[1];
      if (head >= 0 && length !== undefined && text.length >= head + 4 + Number(length)) resolve(text);
    };
    onData = check;
    check();
  });
  return {
    socket, closed, firstData,
    async warm(request) {
      socket.write(request);
      const answer = await firstData();
      assert.match(answer, /^HTTP\/1\.1 200/, answer.slice(0, 300));
      chunks.length = 0;
    },
    forget() {
      chunks.length = 0;
    },
  };
}

/** gatehouse_load_shed_total{reason="event_loop_delay"} for public, session, anonymous, gatehouse. */
async function shedCounts(adminPort: number): Promise<number[]> {
  const text = await scrape(adminPort);
  return ['public', 'session', 'anonymous', 'gatehouse'].map((cls) => sample(text, 'gatehouse_load_shed_total', { reason: 'event_loop_delay', class: cls }) ?? NaN);
}

/**
 * A client whose connection is surely accepted and open: one keep-alive request answered 200 on it first. A busy
 * machine may still be late from the previous stall, so a shed warm-up is retried on a new connection.
 */
async function warmClient(port: number, warmRequest: string): Promise<Client> {
  for (let attempt = 0; ; attempt++) {
    const c = await client(port);
    c.socket.write(warmRequest);
    const answer = await c.firstData();
    if (answer.startsWith('HTTP/1.1 200')) {
      c.forget();
      return c;
    }
    c.socket.destroy();
    if (attempt === 20) assert.fail(`no warm connection: ${answer.slice(0, 200)}`);
    await sleep(50);
  }
}

const keepAliveGet = (path: string, headers = ''): string => `GET ${path} HTTP/1.1\r\nHost: gatehouse.test\r\n${headers}\r\n`;

describe('shedding by event-loop delay', () => {
  let app: TestUpstream;
  let gh: RunningGatehouse;
  before(async () => {
    app = await startUpstream('app');
    gh = await startGatehouse(validConfig(configObject({ app: app.url }, [
      { name: 'pub', match: { path: '/pub/' }, policy: 'public', upstream: 'app' },
      { name: 'private', match: { path: '/' }, policy: 'authenticated', upstream: 'app' },
    ], { server: { admission: { warm_up: '0s' } } }))); // the documented targets (the helpers relax them)
  });
  after(async () => {
    await gh.close();
    await app.close();
  });

  test('after a stall the next requests get a quick 503 with Retry-After and Connection: close, while probes answer', { timeout: 20_000 }, async () => {
    const requests = [keepAliveGet('/pub/page'), keepAliveGet('/private/x', 'Accept: text/html\r\n'), keepAliveGet('/.gatehouse/login')];
    const ends: { answer: RawAnswer; at: number }[] = [];
    // One stall per request (on a busy machine the requests of one stall may be read over several turns, and the
    // first probe that finds the loop on time again ends the shedding).
    for (const request of requests) {
      const c = await warmClient(gh.port, keepAliveGet('/pub/warm'));
      const probe = await client(gh.adminPort);
      await probe.warm('GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n');
      const upstreamBefore = app.requests.length;
      // The request in the socket's buffer, then the loop blocked: Gatehouse reads it late, as under overload.
      c.socket.write(request);
      probe.socket.write('GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n');
      blockLoop(300);
      const stallEnded = performance.now();
      const end = await c.closed;
      ends.push(end);
      assert.equal(end.answer.status, 503, `${request.split('\r')[0]}: ${end.answer.raw.slice(0, 120)}`);
      assert.equal(end.answer.headers['retry-after'], '1');
      assert.equal(end.answer.headers['connection'], 'close', 'a keep-alive client cannot send its next request on this connection');
      assert.ok(end.at - stallEnded < 1000, `answered and closed ${Math.round(end.at - stallEnded)} ms after the stall`);
      assert.equal(app.requests.length, upstreamBefore, 'nothing shed reached the upstream');
      assert.match(await probe.firstData(), /^HTTP\/1\.1 200/, 'the admin listener answered its probe');
      probe.socket.destroy();
    }
    assert.equal(JSON.parse(ends[0]!.answer.body).code, 'GATE_ERR_OVERLOADED');
    assert.match(ends[1]!.answer.headers['content-type'] ?? '', /^text\/html/, 'a browser gets the page');

    // The delay is gone a probe interval later: served again.
    await eventually(3000, 'requests to be served again', async () => (await send(gh.port, { path: '/pub/again' })).status === 200);
    const text = await scrape(gh.adminPort);
    // At least the stalled requests (a warm-up shed on a busy machine, and retried, counts too).
    const shed = (cls: string): number => sample(text, 'gatehouse_load_shed_total', { reason: 'event_loop_delay', class: cls }) ?? 0;
    assert.ok(shed('public') >= 1 && shed('anonymous') >= 1 && shed('gatehouse') >= 1, text.split('\n').filter((l) => l.startsWith('gatehouse_load_shed')).join('\n'));
    assert.equal(sample(text, 'gatehouse_load_shed_total', { reason: 'in_flight', class: 'public' }), 0, 'known series start at 0');
    assert.ok((sample(text, 'gatehouse_connections_closed_total', { reason: 'shed' }) ?? 0) >= 3);
    assert.ok((sample(text, 'gatehouse_event_loop_delay_max_seconds') ?? 0) >= 0.25, 'the delay acted on is exported');
    assert.ok((sample(text, 'gatehouse_event_loop_delay_seconds_count') ?? 0) > 0, 'the probe is sampled');
  });
});

describe('priorities: past the low-priority target, signed-in and public traffic goes on', () => {
  let db: TestDatabase;
  let app: TestUpstream;
  let gh: FullGatehouse;
  let token: string;
  before(async () => {
    db = sqliteDatabase();
    app = await startUpstream('app');
    gh = await startFullGatehouse(db, { app: app.url }, [
      { name: 'pub', match: { path: '/pub/' }, policy: 'public', upstream: 'app' },
      { name: 'private', match: { path: '/' }, policy: 'authenticated', upstream: 'app' },
    ], { server: { trusted_proxies: ['127.0.0.1'], admission: { shed_delay: '10s', shed_delay_low_priority: '50ms', warm_up: '0s' } } });
    const user = await gh.store.users.create({ email: 'overload@example.com', name: 'Load' });
    token = (await gh.auth.sessions.create(user, {})).token;
    // One request puts the session in the cache (retried: a process just started may still be late, and shed it).
    await eventually(5000, 'the session to be cached', async () =>
      (await send(gh.port, { path: '/private/warm', headers: { authorization: `Bearer ${token}` } })).status === 200);
  });
  after(async () => {
    await gh?.stop();
    await app?.close();
    await db?.drop();
  });

  test('a stall between the two targets sheds anonymous requests to protected routes and /.gatehouse/ only', { timeout: 20_000 }, async () => {
    const rows: [what: string, request: string, status: number][] = [
      ['public route', keepAliveGet('/pub/x'), 200],
      ['cached session', keepAliveGet('/private/y', `Authorization: Bearer ${token}\r\n`), 200],
      ['anonymous, protected route', keepAliveGet('/private/z'), 503],
      ['unknown token, protected route', keepAliveGet('/private/z', 'Authorization: Bearer gh1.nottoken\r\n'), 503],
      ["Gatehouse's own endpoint", keepAliveGet('/.gatehouse/login'), 503],
      // A forward-auth subrequest goes with the request it speaks for: answered (allowed) with a cached session,
      // shed without one. The ingress here is this test, on loopback, which the test config trusts.
      ['forward-auth, cached session', keepAliveGet('/.gatehouse/authz/nginx', `X-Original-URL: http://127.0.0.1/private/q\r\nX-Original-Method: GET\r\nAuthorization: Bearer ${token}\r\n`), 200],
      ['forward-auth, anonymous', keepAliveGet('/.gatehouse/authz/nginx', 'X-Original-URL: http://127.0.0.1/private/q\r\nX-Original-Method: GET\r\n'), 503],
    ];
    const shedBefore = await shedCounts(gh.adminPort);
    // One stall per request: the first probe after a stall that finds the loop on time again ends the shedding, and
    // on a busy machine the requests of one stall may be read over several turns.
    for (const [what, request, status] of rows) {
      const c = await warmClient(gh.port, keepAliveGet('/pub/warm'));
      c.socket.write(request);
      blockLoop(300);
      const answer = await c.firstData();
      assert.equal(Number(answer.split(' ')[1]), status, `${what}: ${answer.slice(0, 600)}`);
      c.socket.destroy();
    }
    const shedAfter = await shedCounts(gh.adminPort);
    assert.deepEqual(shedAfter.map((n, i) => n - shedBefore[i]!), [0, 0, 3, 1], 'shed by class: public, session, anonymous, gatehouse');
  });
});

describe('slow and idle clients', () => {
  let app: TestUpstream;
  let gh: RunningGatehouse;
  before(async () => {
    app = await startUpstream('app');
    gh = await startGatehouse(validConfig(configObject({ app: app.url }, [{ name: 'all', policy: 'public', upstream: 'app' }],
      { server: { headers_timeout: '1s', request_timeout: '5s', keep_alive_timeout: '1s', max_connections: 3 } })));
  });
  after(async () => {
    await gh.close();
    await app.close();
  });

  test('a client trickling its headers is cut off with 408 at the headers timeout', { timeout: 20_000 }, async () => {
    const slow = await client(gh.port);
    const started = performance.now();
    slow.socket.write('GET / HTTP/1.1\r\nHost: gatehouse.test\r\n');
    const trickle = setInterval(() => slow.socket.write('X-Slow: still-here\r\n'), 200);
    const { answer, at } = await slow.closed;
    clearInterval(trickle);
    const took = at - started;
    assert.equal(answer.status, 408, answer.raw.slice(0, 120));
    // headers_timeout 1 s, checked every second: between 1 and 2 s, with slack for a busy machine.
    assert.ok(took >= 900 && took < 4000, `cut off after ${Math.round(took)} ms`);
    assert.equal(sample(await scrape(gh.adminPort), 'gatehouse_connections_closed_total', { reason: 'timeout' }), 1);
  });

  test('the connection bound holds: past max_connections a new connection is closed unanswered', { timeout: 20_000 }, async () => {
    const held = await Promise.all([client(gh.port), client(gh.port), client(gh.port)]);
    // Each answered once, so each is surely accepted and open (keep-alive).
    for (const c of held) {
      c.socket.write(keepAliveGet('/held'));
      const answer = await c.firstData();
      assert.match(answer, /^HTTP\/1\.1 200/, answer.slice(0, 300));
    }
    assert.equal(sample(await scrape(gh.adminPort), 'gatehouse_connections_open'), 3, 'the admin listener is not bounded by it');
    const extra = await client(gh.port);
    extra.socket.write(keepAliveGet('/extra'));
    const { answer } = await extra.closed;
    assert.equal(answer.raw, '', 'closed before a byte was read or written');
    const text = await scrape(gh.adminPort);
    assert.ok((sample(text, 'gatehouse_connections_closed_total', { reason: 'max_connections' }) ?? 0) >= 1);
    for (const c of held) c.socket.destroy();
    await eventually(3000, 'a place to free up', async () => (await send(gh.port, { path: '/after' }).catch(() => ({ status: 0 }))).status === 200);
  });

  test('an idle keep-alive connection is closed after keep_alive_timeout', { timeout: 20_000 }, async () => {
    const idle = await client(gh.port);
    idle.socket.write(keepAliveGet('/once'));
    assert.match(await idle.firstData(), /^HTTP\/1\.1 200/);
    const answered = performance.now();
    const { at } = await idle.closed;
    assert.ok(at - answered >= 800 && at - answered < 4000, `closed ${Math.round(at - answered)} ms after its answer`);
  });
});

describe('a standing queue for an upstream\'s connections', () => {
  let slow: TestUpstream;
  let fast: TestUpstream;
  let gh: RunningGatehouse;
  const held: { end(): void }[] = [];
  before(async () => {
    // Holds every request until released: with two connections, the third request on waits in Gatehouse's pool queue.
    slow = await startUpstream('slow', (req, res) => {
      req.resume();
      held.push({ end: () => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 }).end('ok') });
    });
    fast = await startUpstream('fast');
    gh = await startGatehouse(validConfig(configObject({ slow: { url: slow.url, max_connections: 2 }, fast: fast.url }, [
      { name: 'slow', match: { path: '/slow/' }, policy: 'public', upstream: 'slow' },
      { name: 'fast', match: { path: '/' }, policy: 'public', upstream: 'fast' },
    ], { server: { admission: { shed_delay: '30s', shed_delay_low_priority: '30s', upstream_queue_delay: '20ms', window: '100ms' } } })));
  });
  after(async () => {
    for (const h of held.splice(0)) h.end();
    await gh.close();
    await slow.close();
    await fast.close();
  });

  test('new forwards to that upstream get a quick 503 (upstream_queue); other upstreams are served; it ends with the queue', { timeout: 20_000 }, async () => {
    const waiting = Array.from({ length: 5 }, (_, i) => send(gh.port, { path: `/slow/${i}`, timeoutMs: 15_000 }));
    await eventually(3000, 'two requests at the slow upstream', async () => held.length === 2);
    await sleep(250); // more than two windows: three requests have waited the whole time
    const started = performance.now();
    const refused = await send(gh.port, { path: '/slow/late' });
    assert.equal(refused.status, 503, refused.body);
    assert.equal(JSON.parse(refused.body).code, 'GATE_ERR_OVERLOADED');
    assert.equal(refused.headers['retry-after'], '1');
    assert.ok(performance.now() - started < 1000, 'refused at once, not held');
    assert.equal(slow.requests.filter((r) => r.url === '/slow/late').length, 0, 'the refused request never reached the upstream');
    assert.equal((await send(gh.port, { path: '/fine' })).status, 200, 'another upstream is served meanwhile');
    const text = await scrape(gh.adminPort);
    assert.ok((sample(text, 'gatehouse_load_shed_total', { reason: 'upstream_queue', class: 'public' }) ?? 0) >= 1, 'counted by reason');

    // The upstream answers: everything held is served, and once the queue is gone so is the refusal.
    const release = setInterval(() => { for (const h of held.splice(0)) h.end(); }, 10);
    try {
      for (const answer of await Promise.all(waiting)) assert.equal(answer.status, 200, answer.body);
      await eventually(3000, 'the slow upstream served again', async () => (await send(gh.port, { path: '/slow/again' })).status === 200);
    } finally {
      clearInterval(release);
    }
  });
});

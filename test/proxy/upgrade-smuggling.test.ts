// Issue 12 §1 and the header items of §3, against real upstreams of every parser family (Node, Python http.server,
// Go net/http): what the upstream executes is exactly what Gatehouse judged. Each entry of the header corpus is sent
// byte for byte; the client's bytes are parsed strictly (one framing per response, nothing left over) and the
// upstream's own record of what it executed is compared with what the entry allows: nothing else may have run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { configObject, sample, scrape, send, startGatehouse, validConfig, type RunningGatehouse } from '../helpers/core-net.js';
import { describeEachFamily, startFamilyUpstream, type ExecutedRequest, type FamilyUpstream } from '../helpers/upstream-families.js';
import { FORGED, HEADER_CORPUS, headerCorpusRoutes, parseResponses, sendParts } from '../helpers/header-corpus.js';

/** A stand-in for sessions: "Authorization: Bearer alice" is Alice (no admin role); anyone else is anonymous. */
const ALICE = {
  name: 'stand-in',
  authenticate: (headers: { authorization?: string | undefined }) => headers.authorization === 'Bearer alice'
    ? { userId: 'u-alice', email: 'alice@example.test', name: 'Alice', roles: ['dev'], orgs: [] } : undefined,
};

const described = (r: ExecutedRequest): string => `${r.method} ${r.target}`;

describeEachFamily('the upstream executes only what was judged', (family) => {
  let upstream: FamilyUpstream;
  let gh: RunningGatehouse;
  before(async () => {
    upstream = await startFamilyUpstream(family);
    gh = await startGatehouse(validConfig(configObject({ app: upstream.url }, headerCorpusRoutes('app'))), { authenticators: [ALICE] });
  });
  after(async () => {
    await gh?.close();
    await upstream?.close();
  });

  /** Sends raw parts; the responses parsed strictly, and what the upstream executed meanwhile (after a settling pause). */
  async function exchange(parts: readonly string[], gapMs = 0, expected = 0): Promise<{ responses: ReturnType<typeof parseResponses>; executed: ExecutedRequest[] }> {
    const from = upstream.executed.length;
    const raw = await sendParts(gh.port, parts, gapMs);
    const responses = parseResponses(raw);
    if (expected > 0) await upstream.waitForExecuted(from + expected);
    // Long enough for a family to parse and log a smuggled request had one reached it (each logs before answering).
    await sleep(250);
    return { responses, executed: upstream.executed.slice(from) };
  }

  for (const entry of HEADER_CORPUS) {
    test(`${entry.cls}: ${entry.name}`, async () => {
      const { responses, executed } = await exchange(entry.parts, entry.gapMs, entry.executed.length);
      assert.deepEqual(responses.map((r) => r.status), entry.statuses,
        `statuses; the client got ${JSON.stringify(responses.map((r) => `${r.status} ${r.body.toString('latin1').slice(0, 120)}`))}`);
      assert.deepEqual(executed.map(described), entry.executed, `the ${family} upstream executed`);
      assert.ok(!executed.some((r) => r.method === 'DELETE'), 'the forged request never runs');
      for (const r of executed) {
        assert.deepEqual(r.headers.filter(([k]) => /^x[-_]auth[-_]/i.test(k)), [], `no identity reaches an anonymous request: ${described(r)}`);
        assert.deepEqual(upstream.header(r, 'host'), ['app'], `the judged Host: ${described(r)}`);
      }
      for (const r of responses) {
        assert.equal(r.headers.some(([k]) => k === 'transfer-encoding') && r.framing !== 'chunked', false);
        if (r.status >= 400 && r.status < 500) assert.match(r.body.toString('utf8'), /"code":"GATE_ERR_/, 'a refusal names its code');
      }
    });
  }

  test('a declined upgrade is relayed with its status and body, framed anew, with Connection: close', async () => {
    const { responses, executed } = await exchange([`GET /ws/declined?q=1 HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`], 0, 1);
    assert.equal(responses.length, 1);
    const [answer] = responses;
    assert.equal(answer!.status, 200);
    assert.equal(answer!.framing, 'content-length');
    assert.deepEqual(answer!.headers.filter(([k]) => k === 'connection').map(([, v]) => v), ['close']);
    // The echo upstreams answer with the request they executed: the body is that record, whole.
    const record = JSON.parse(answer!.body.toString('utf8')) as { target: string };
    assert.equal(record.target, '/ws/declined?q=1');
    assert.deepEqual(executed.map(described), ['GET /ws/declined?q=1']);
    assert.deepEqual(upstream.header(executed[0]!, 'upgrade'), ['websocket']);
    assert.deepEqual(upstream.header(executed[0]!, 'sec-websocket-version'), ['13']);
  });

  test('spoofed identity headers on an upgrade never reach the upstream; Gatehouse states the caller once', async () => {
    const spoof = 'X-Auth-User-Id: u-root\r\nX-Auth-Roles: admin\r\nX_Auth_Roles: admin\r\nX-Forwarded-User: root\r\nRemote-User: root\r\nX-Forwarded-For: 10.0.0.1\r\n';
    const anonymous = await exchange([`GET /ws/anon HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${spoof}\r\n`], 0, 1);
    assert.deepEqual(anonymous.responses.map((r) => r.status), [200]);
    const [seen] = anonymous.executed;
    assert.deepEqual(upstream.header(seen!, 'x-auth-user-id'), []);
    assert.deepEqual(upstream.header(seen!, 'x-auth-roles'), []);
    assert.deepEqual(upstream.header(seen!, 'x_auth_roles'), []);
    assert.deepEqual(upstream.header(seen!, 'x-forwarded-user'), []);
    assert.deepEqual(upstream.header(seen!, 'remote-user'), []);
    assert.deepEqual(upstream.header(seen!, 'x-forwarded-for'), ['127.0.0.1']);
    const signedIn = await exchange([`GET /ws-members/alice HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nAuthorization: Bearer alice\r\n${spoof}\r\n`], 0, 1);
    assert.deepEqual(signedIn.responses.map((r) => r.status), [200]);
    const [alice] = signedIn.executed;
    assert.deepEqual(upstream.header(alice!, 'x-auth-user-id'), ['u-alice']);
    assert.deepEqual(upstream.header(alice!, 'x-auth-roles'), ['dev']);
  });

  test('Connection cannot remove Host or the headers Gatehouse sets (Connection: Host, X-Auth-User-Id, X-Forwarded-For, ...)', async () => {
    const tokens = 'Host, X-Auth-User-Id, X-Auth-Roles, X-Forwarded-For, X-Forwarded-Proto, Authorization, Cookie, Content-Length';
    for (const [what, parts] of [
      ['a request', [`POST /members/x HTTP/1.1\r\nHost: app\r\nAuthorization: Bearer alice\r\nCookie: theme=dark\r\nContent-Length: 5\r\nConnection: close, ${tokens}\r\n\r\nhello`]],
      ['an upgrade', [`GET /ws-members/conn HTTP/1.1\r\nHost: app\r\nAuthorization: Bearer alice\r\nCookie: theme=dark\r\nConnection: Upgrade, ${tokens}\r\nUpgrade: websocket\r\n\r\n`]],
    ] as const) {
      const { responses, executed } = await exchange(parts, 0, 1);
      assert.deepEqual(responses.map((r) => r.status), [200], what);
      const [seen] = executed;
      assert.deepEqual(upstream.header(seen!, 'host'), ['app'], `${what}: the Host that was judged`);
      assert.deepEqual(upstream.header(seen!, 'x-auth-user-id'), ['u-alice'], what);
      assert.deepEqual(upstream.header(seen!, 'x-auth-roles'), ['dev'], what);
      assert.deepEqual(upstream.header(seen!, 'x-forwarded-for'), ['127.0.0.1'], what);
      assert.deepEqual(upstream.header(seen!, 'x-forwarded-proto'), ['http'], what);
      assert.deepEqual(upstream.header(seen!, 'cookie'), ['theme=dark'], what);
      if (what === 'a request') assert.equal(seen!.bodyLength, 5);
    }
  });
});

test('two Host headers are a 400 before routing, never an upstream error', async () => {
  const upstream = await startFamilyUpstream('node');
  const gh = await startGatehouse(validConfig(configObject({ app: upstream.url }, headerCorpusRoutes('app'))));
  try {
    const raw = await sendParts(gh.port, ['GET /plain/x HTTP/1.1\r\nHost: app\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n']);
    const [answer] = parseResponses(raw);
    assert.equal(answer!.status, 400);
    assert.deepEqual(JSON.parse(answer!.body.toString('utf8')), { error: 'bad_request', code: 'GATE_ERR_BAD_REQUEST', message: 'more than one host header' });
    const metrics = await scrape(gh.adminPort);
    assert.equal(sample(metrics, 'gatehouse_upstream_errors_total', { upstream: 'app' }) ?? 0, 0);
    assert.equal(sample(metrics, 'gatehouse_http_requests_total', { route: '_invalid', code: '400' }), 1);
    assert.equal(upstream.executed.length, 0);
    // One Host is fine.
    assert.equal((await send(gh.port, { path: '/plain/x' })).status, 200);
  } finally {
    await gh.close();
    await upstream.close();
  }
});

test('the forged request itself is refused when sent on its own (the corpus\'s premise)', async () => {
  const upstream = await startFamilyUpstream('node');
  const gh = await startGatehouse(validConfig(configObject({ app: upstream.url }, headerCorpusRoutes('app'))));
  try {
    const [answer] = parseResponses(await sendParts(gh.port, [FORGED.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n')]));
    assert.equal(answer!.status, 401);
    assert.equal(upstream.executed.length, 0);
  } finally {
    await gh.close();
    await upstream.close();
  }
});

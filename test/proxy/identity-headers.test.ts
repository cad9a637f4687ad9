// Identity headers belong to Gatehouse: every incoming header that could pose as identity is removed on every
// route (public ones included), in every casing and with "_" for "-", and only Gatehouse's own reach upstream.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import {
  configObject, headerNames, rawExchange, startGatehouse, startUpstream, validConfig, within,
  type Recorded, type RunningGatehouse, type TestUpstream,
} from '../helpers/core-net.js';

const SPOOFED = [
  'X-Auth-User-Id', 'x-auth-email', 'X_AUTH_ROLES', 'X-Auth-Name', 'X-Auth-Request-User', 'X-Forwarded-User', 'X-Forwarded-Email',
  'X-Forwarded-Groups', 'X-Forwarded-Preferred-Username', 'Remote-User', 'X-Remote-User', 'remote_user', 'X-Remote-Groups',
  'X-WebAuth-User', 'X-Authenticated-User', 'X-Gatehouse-User', 'X-Auth-Email-Verified', 'x_auth_amr',
  // The signed identity assertion's default header and its look-alikes (test/signing covers a configured name).
  'X-Gatehouse-Assertion', 'x_gatehouse_assertion', 'X-Pomerium-Jwt-Assertion', 'X-JWT-Assertion',
];

/** Each name in several casings and with "_" for "-" (and back). */
function variants(name: string): string[] {
  const dashed = name.replaceAll('_', '-');
  const underscored = dashed.replaceAll('-', '_');
  const out = new Set<string>();
  for (const n of [dashed, underscored]) {
    out.add(n);
    out.add(n.toLowerCase());
    out.add(n.toUpperCase());
    out.add([...n].map((c, i) => (i % 2 ? c.toLowerCase() : c.toUpperCase())).join(''));
  }
  return [...out];
}

/** A raw request carrying every variant of every name, each with a value that says "spoofed". */
function spoofingRequest(path: string, names: readonly string[], extra = ''): { text: string; count: number } {
  const lines = [`GET ${path} HTTP/1.1`, 'Host: gatehouse.test'];
  let i = 0;
  for (const name of names) for (const v of variants(name)) lines.push(`${v}: spoofed-${i++}`);
  return { text: `${lines.join('\r\n')}\r\n${extra}Connection: close\r\n\r\n`, count: i };
}

function assertNoSpoof(recorded: Recorded, allowed: (name: string) => boolean = () => false): void {
  for (let i = 0; i < recorded.rawHeaders.length; i += 2) {
    const name = recorded.rawHeaders[i]!;
    const value = recorded.rawHeaders[i + 1]!;
    assert.ok(!value.includes('spoofed'), `spoofed header reached the upstream: ${name}: ${value}`);
    if (!allowed(name)) assert.ok(!/^(x[-_]auth|remote|x[-_]remote|x[-_]forwarded[-_](user|email|groups))/i.test(name), `identity-looking header reached the upstream: ${name}`);
  }
}

describe('spoofed identity headers', () => {
  let app: TestUpstream;
  let other: TestUpstream;
  let gh: RunningGatehouse;
  before(async () => {
    app = await startUpstream('app');
    other = await startUpstream('other');
    gh = await startGatehouse(validConfig(configObject({ app: app.url, other: other.url }, [
      { name: 'members', match: { path: '/members/' }, policy: 'authenticated', upstream: 'app' },
      { name: 'ws', match: { path: '/ws/' }, policy: 'public', upstream: 'other', websockets: true },
      { name: 'other', match: { path: '/other/' }, policy: 'public', upstream: 'other' },
      { name: 'everything', match: { path: '/' }, policy: 'public', upstream: 'app' },
    ])), {
      // A stand-in for sessions: "Authorization: Bearer alice" is Alice; anyone else is anonymous.
      authenticators: [{
        name: 'stand-in',
        authenticate: (headers) => headers.authorization === 'Bearer alice'
          ? { userId: 'u-alice', email: 'alice@example.test', name: 'Alice', roles: ['admin', 'dev'], orgs: [] } : undefined,
      }],
    });
  });
  after(async () => {
    await gh.close();
    await app.close();
    await other.close();
  });

  test('never reach the upstream of a public route, in any casing or "_" variant', async () => {
    for (const [path, upstream] of [['/anything', app], ['/other/x', other]] as const) {
      const before = upstream.requests.length;
      const { text, count } = spoofingRequest(path, SPOOFED);
      assert.ok(count > 100);
      const answer = await rawExchange(gh.port, text);
      assert.equal(answer.status, 200, answer.raw.slice(0, 300));
      assert.equal(upstream.requests.length, before + 1);
      assertNoSpoof(upstream.requests.at(-1)!);
    }
  });

  test('on an authenticated route the upstream gets Gatehouse\'s identity headers, once, and none of the spoofed ones', async () => {
    const { text } = spoofingRequest('/members/page', SPOOFED, 'Authorization: Bearer alice\r\n');
    const answer = await rawExchange(gh.port, text);
    assert.equal(answer.status, 200, answer.raw.slice(0, 300));
    const got = app.requests.at(-1)!;
    assertNoSpoof(got, (name) => /^X-Auth-(User-Id|Email|Name|Roles|Orgs|Email-Verified|Amr)$/.test(name));
    const names = headerNames(got);
    for (const own of ['x-auth-user-id', 'x-auth-email', 'x-auth-name', 'x-auth-roles', 'x-auth-email-verified', 'x-auth-amr']) {
      assert.equal(names.filter((n) => n === own).length, 1, `${own} set exactly once`);
    }
    assert.equal(got.headers['x-auth-user-id'], 'u-alice');
    assert.equal(got.headers['x-auth-email'], 'alice@example.test');
    assert.equal(got.headers['x-auth-roles'], 'admin,dev');
  });

  test('Forwarded and X-Real-IP from the client are dropped (Gatehouse states the client address itself)', async () => {
    const answer = await rawExchange(gh.port, 'GET /x HTTP/1.1\r\nHost: gatehouse.test\r\nForwarded: for=1.2.3.4;by=evil\r\nX-Real-IP: 1.2.3.4\r\nx_real_ip: 1.2.3.4\r\nConnection: close\r\n\r\n');
    assert.equal(answer.status, 200);
    const got = app.requests.at(-1)!;
    assert.equal(got.headers['forwarded'], undefined);
    assert.equal(got.headers['x-real-ip'], undefined);
    assert.ok(!got.rawHeaders.some((v) => v.includes('1.2.3.4')), `a client-stated address reached the upstream: ${got.rawHeaders.join(' | ')}`);
  });

  test('never reach the upstream through a WebSocket upgrade either', async () => {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ noServer: true });
    const onUpgrade = (req: import('node:http').IncomingMessage, socket: import('node:stream').Duplex, head: Buffer): void => {
      wss.handleUpgrade(req, socket, head, (ws) => ws.close());
    };
    other.server.on('upgrade', onUpgrade);
    try {
      const headers: Record<string, string> = {};
      let i = 0;
      for (const name of SPOOFED) for (const v of variants(name)) headers[v] = `spoofed-${i++}`;
      const before = other.requests.length;
      const ws = new WebSocket(`ws://127.0.0.1:${gh.port}/ws/`, { headers });
      await within(5000, 'the websocket to open and close', new Promise<void>((resolve, reject) => {
        ws.on('close', () => resolve());
        ws.on('error', reject);
      }));
      assert.equal(other.requests.length, before + 1);
      assertNoSpoof(other.requests.at(-1)!);
    } finally {
      other.server.off('upgrade', onUpgrade);
      wss.close();
    }
  });
});

describe('a custom identity_header_prefix', () => {
  let app: TestUpstream;
  let gh: RunningGatehouse;
  before(async () => {
    app = await startUpstream('app');
    gh = await startGatehouse(validConfig(configObject({ app: app.url }, [
      { name: 'members', match: { path: '/members/' }, policy: 'authenticated', upstream: 'app' },
      { name: 'everything', match: { path: '/' }, policy: 'public', upstream: 'app' },
    ], { server: { identity_header_prefix: 'X-Gate-Ident-' } })), {
      authenticators: [{
        name: 'stand-in',
        authenticate: (headers) => headers.authorization === 'Bearer bob' ? { userId: 'u-bob', email: 'bob@example.test', name: 'Bob', roles: [], orgs: [] } : undefined,
      }],
    });
  });
  after(async () => {
    await gh.close();
    await app.close();
  });

  test('its own prefix is stripped from clients as well as the default families', async () => {
    const { text } = spoofingRequest('/page', [...SPOOFED, 'X-Gate-Ident-User-Id', 'x-gate-ident-roles', 'X_GATE_IDENT_EMAIL']);
    const answer = await rawExchange(gh.port, text);
    assert.equal(answer.status, 200);
    const got = app.requests.at(-1)!;
    assertNoSpoof(got);
    assert.ok(!headerNames(got).some((n) => n.replaceAll('_', '-').startsWith('x-gate-ident-')));
  });

  test('Gatehouse states identity under the custom prefix', async () => {
    const { text } = spoofingRequest('/members/x', ['X-Gate-Ident-User-Id'], 'Authorization: Bearer bob\r\n');
    const answer = await rawExchange(gh.port, text);
    assert.equal(answer.status, 200);
    const got = app.requests.at(-1)!;
    assert.equal(got.headers['x-gate-ident-user-id'], 'u-bob');
    assert.equal(got.headers['x-gate-ident-email'], 'bob@example.test');
    assert.equal(got.headers['x-auth-user-id'], undefined);
    assertNoSpoof(got, (name) => name.startsWith('X-Gate-Ident-'));
  });
});

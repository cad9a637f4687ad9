// The signed identity assertion (issue 17) is a mutator of the mutate stage, so a forward-auth answer carries it
// exactly as a proxied request does: an allowed, signed-in caller's 200 has the JWT for the ingress to copy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { send, startUpstream, type TestUpstream } from '../helpers/core-net.js';
import { startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { sqliteDatabase } from '../store/databases.js';
import { logIn, signUp } from '../api/api-helpers.js';
import { APP_HOST, protectedRoutes } from './setup.js';

let upstream: TestUpstream;
let gh: FullGatehouse;
let token: string;

before(async () => {
  upstream = await startUpstream('app');
  gh = await startFullGatehouse(sqliteDatabase(), { app: upstream.url }, protectedRoutes(APP_HOST), {
    server: { trusted_proxies: ['127.0.0.1'] },
    auth: { local: { registration: 'open' } },
    accounts: { encryption_key: 'forward-auth test key: thirty-two characters at least' },
    signed_identity: { enabled: true },
  });
  const user = await signUp(gh, 'user');
  token = await logIn(gh, user.email);
});
after(async () => {
  await gh?.stop();
  await upstream?.close();
});

const ask = (uri: string, headers: Record<string, string> = {}) => send(gh.port, { path: '/.gatehouse/authz/caddy', headers: {
  'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': APP_HOST, 'x-forwarded-uri': uri, ...headers,
} });

test('an allowed, signed-in caller gets the signed assertion beside the identity headers', async () => {
  const answer = await ask('/reports/x', { authorization: `Bearer ${token}` });
  assert.equal(answer.status, 200);
  assert.equal(answer.body, '');
  const jwt = String(answer.headers['x-gatehouse-assertion'] ?? '');
  assert.match(jwt, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a compact JWS');
  const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as { sub?: string };
  assert.equal(claims.sub, answer.headers['x-auth-user-id']);
});

test('an anonymous caller on a public route gets none', async () => {
  const answer = await ask('/public/x');
  assert.equal(answer.status, 200);
  assert.equal(answer.headers['x-gatehouse-assertion'], undefined);
});

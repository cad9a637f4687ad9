// The signed identity assertion (issue 17), end to end on every driver: a real upstream on loopback verifies every
// assertion it receives with jose's remote JWKS against Gatehouse's /.gatehouse/jwks.json, as docs/signed-identity.md
// tells upstreams to. Valid identities pass; an expired replay, a wrong audience, another key, alg "none" and a
// tampered claim are refused by that verifier; `gatehouse keys rotate` keeps old and new assertions verifying through
// the overlap and the old key leaves the JWKS only after it; a role change shows in the next assertion within the
// change feed's bound; a client-sent assertion never reaches the upstream.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import {
  base64url, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, generateKeyPair, jwtVerify, SignJWT, type JWTPayload,
} from 'jose';
import { describeEachDriver, type DriverName, type TestDatabase } from '../helpers/drivers.js';
import { startFullGatehouse, storageAsYaml, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { runCli, tempDir, writeYaml } from '../helpers/core-cli.js';
import { send, startUpstream, type TestUpstream } from '../helpers/core-net.js';

const HEADER = 'x-gatehouse-assertion';
const ENCRYPTION_KEY = 'signed-identity test key: thirty-two characters at least';
const LIFETIME_S = 10;
const JWKS_MAX_AGE_MS = 2000;
const REFRESH_MS = 200;
/** lifetime + 3 s: a replica keeps vouching for 3 s after its last read, so a slow read on a busy machine is no 503. */
const OVERLAP_MS = 13_000;
const CHANGE_POLL_MS = 200;
/** The bound the README documents for a role change: one change-feed poll plus time to read and apply it. */
const ROLE_BOUND_MS = CHANGE_POLL_MS + 1000;

/** What the verifying upstream concluded about one request. */
interface Verdict {
  readonly ok: boolean;
  readonly code?: string;
  readonly claim?: string;
  readonly payload?: JWTPayload;
  readonly kid?: string;
}

/**
 * An upstream that does what the docs tell upstreams to do: verify the assertion against the JWKS (cached no longer
 * than its max-age), the issuer and its own audience; 401 with jose's error code otherwise.
 */
function verifyingUpstream(settings: { jwksUrl?: URL; issuer?: string; audience?: string }) {
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  const verify = async (token: string | undefined): Promise<Verdict> => {
    if (token === undefined) return { ok: false, code: 'missing' };
    jwks ??= createRemoteJWKSet(settings.jwksUrl!, { cacheMaxAge: JWKS_MAX_AGE_MS });
    try {
      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        issuer: settings.issuer!, audience: settings.audience!, algorithms: ['ES256', 'EdDSA'],
      });
      return { ok: true, payload, kid: protectedHeader.kid! };
    } catch (err) {
      const e = err as { code?: string; claim?: string };
      return { ok: false, code: e.code ?? String(err), ...(e.claim === undefined ? {} : { claim: e.claim }) };
    }
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const token = req.headers[HEADER];
    void verify(Array.isArray(token) ? token.join(',') : token).then((verdict) => {
      res.writeHead(verdict.ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...verdict, token }));
    });
  };
  return { handler, verify, reset: () => { jwks = undefined; } };
}

async function get(gh: FullGatehouse, path: string, token: string, headers: Record<string, string> = {}) {
  const res = await send(gh.port, { path, headers: { authorization: `Bearer ${token}`, ...headers } });
  return { status: res.status, body: res.status === 200 || res.status === 401 ? JSON.parse(res.body) as Verdict & { token?: string } : undefined, raw: res };
}

async function jwksOf(gh: FullGatehouse): Promise<{ kids: string[]; cacheControl: string | undefined }> {
  const res = await send(gh.port, { path: '/.gatehouse/jwks.json' });
  assert.equal(res.status, 200, res.body);
  return { kids: (JSON.parse(res.body) as { keys: { kid: string }[] }).keys.map((k) => k.kid), cacheControl: res.headers['cache-control'] as string | undefined };
}

async function until<T>(what: string, limitMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > limitMs) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function signedIdentity(algorithm: 'ES256' | 'EdDSA') {
  return {
    enabled: false, lifetime: `${LIFETIME_S}s`, algorithm,
    keys: { jwks_max_age: `${JWKS_MAX_AGE_MS}ms`, refresh_interval: `${REFRESH_MS}ms`, overlap: `${OVERLAP_MS}ms` },
  };
}

await describeEachDriver('signed identity', (driver: DriverName, makeDatabase) => {
  // EdDSA on one driver, ES256 (the default) on the others.
  const algorithm = driver === 'mysql' ? 'EdDSA' : 'ES256';
  let db: TestDatabase;
  let app: TestUpstream;
  let gh: FullGatehouse;
  let token: string;
  let userId: string;
  let tmp: ReturnType<typeof tempDir>;
  let configPath: string;
  /** Filled in once Gatehouse listens: where the upstream fetches the JWKS, and what it expects. */
  const settings: { jwksUrl?: URL; issuer?: string; audience?: string } = {};
  const verifier = verifyingUpstream(settings);

  before(async () => {
    db = await makeDatabase();
    app = await startUpstream('app', verifier.handler);
    const routes = [
      { name: 'signed', match: { path: '/signed/' }, policy: 'authenticated', upstream: 'app', signed_identity: true },
      { name: 'elsewhere', match: { path: '/elsewhere/' }, policy: 'authenticated', upstream: 'app', signed_identity: { audience: 'urn:example:elsewhere' } },
      { name: 'public', match: { path: '/public/' }, policy: 'public', upstream: 'app', signed_identity: true },
      { name: 'plain', match: { path: '/' }, policy: 'authenticated', upstream: 'app' },
    ];
    const overrides = {
      signed_identity: signedIdentity(algorithm),
      accounts: { encryption_key: ENCRYPTION_KEY },
      storage: { change_poll_interval: `${CHANGE_POLL_MS}ms` },
      sessions: { cache: { ttl: '60s' } },
    };
    gh = await startFullGatehouse(db, { app: app.url }, routes, overrides);
    settings.jwksUrl = new URL(`${gh.base}/.gatehouse/jwks.json`);
    settings.issuer = 'http://127.0.0.1';
    settings.audience = app.url;
    const user = await gh.store.users.create({ email: `${driver}@example.test`, name: 'Ada', roles: ['dev'], emailVerifiedAt: new Date() });
    userId = user.id;
    token = (await gh.auth.sessions.create(user, { amr: ['pwd', 'otp', 'mfa'] })).token;
    tmp = tempDir('gatehouse-keys-');
    configPath = writeYaml(join(tmp.dir, 'gatehouse.yaml'), {
      upstreams: { app: { url: app.url } }, routes: [],
      storage: storageAsYaml(db.config), accounts: { encryption_key: ENCRYPTION_KEY }, signed_identity: signedIdentity(algorithm),
    });
  });
  after(async () => {
    await gh?.stop();
    await app?.close();
    tmp?.cleanup();
    await db?.drop();
  });

  test('the upstream verifies the assertion against the JWKS; its claims state the caller', async () => {
    const res = await get(gh, '/signed/x', token);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const claims = res.body!.payload!;
    assert.equal(claims.iss, 'http://127.0.0.1');
    assert.equal(claims.aud, app.url, 'aud defaults to the upstream URL as written');
    assert.equal(claims.sub, userId);
    assert.equal(claims['email'], `${driver}@example.test`);
    assert.equal(claims['email_verified'], true);
    assert.equal(claims['name'], 'Ada');
    assert.deepEqual(claims['roles'], ['dev']);
    assert.deepEqual(claims['orgs'], {});
    assert.deepEqual(claims['amr'], ['pwd', 'otp', 'mfa']);
    assert.equal(claims.exp! - claims.iat!, LIFETIME_S);
    assert.equal(claims.nbf, claims.iat);
    assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
    assert.match(String(claims['sid']), /^[A-Za-z0-9_-]{32}$/);
    assert.ok(!token.includes(String(claims['sid'])) && !String(claims['sid']).includes(gh.auth.sessions.sessionIdOf(token)!), 'sid is neither the token nor the session id');
    assert.equal(decodeProtectedHeader(res.body!.token!).alg, algorithm);
    const jwks = await jwksOf(gh);
    assert.equal(jwks.cacheControl, `public, max-age=${JWKS_MAX_AGE_MS / 1000}`);
    assert.deepEqual(jwks.kids, [res.body!.kid]);
  });

  test('one signature per (session, audience) while it is fresh: the next request gets the same assertion', async () => {
    const first = await get(gh, '/signed/a', token);
    const second = await get(gh, '/signed/b', token);
    assert.equal(second.body!.token, first.body!.token);
    const other = await get(gh, '/elsewhere/a', token);
    assert.notEqual(other.body!.token, first.body!.token, 'another audience, another assertion');
  });

  test('the verifier refuses: a wrong audience, another key, alg "none", a tampered claim', async () => {
    const elsewhere = await get(gh, '/elsewhere/x', token);
    assert.equal(elsewhere.status, 401);
    assert.equal(elsewhere.body!.code, 'ERR_JWT_CLAIM_VALIDATION_FAILED');
    assert.equal(elsewhere.body!.claim, 'aud');
    assert.equal(decodeJwt(elsewhere.body!.token!).aud, 'urn:example:elsewhere');

    const good = (await get(gh, '/signed/x', token)).body!.token!;
    const [head, body] = good.split('.') as [string, string, string];
    const claims = decodeJwt(good);
    const { kid } = decodeProtectedHeader(good);
    const stranger = await generateKeyPair(algorithm);
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: algorithm, kid: kid! }).sign(stranger.privateKey);
    const forgedOwnKid = await new SignJWT(claims).setProtectedHeader({ alg: algorithm, kid: 'attacker' }).sign(stranger.privateKey);
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', kid }))}.${body}.`;
    const tampered = `${head}.${base64url.encode(JSON.stringify({ ...claims, roles: ['admin'] }))}.${good.split('.')[2]}`;
    const rows: [what: string, token: string, code: string][] = [
      ['signed by another key under our kid', forged, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
      ['signed by another key under its own kid', forgedOwnKid, 'ERR_JWKS_NO_MATCHING_KEY'],
      ['alg none', none, 'ERR_JOSE_ALG_NOT_ALLOWED'],
      ['a tampered claim', tampered, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
    ];
    assert.equal((await verifier.verify(good)).ok, true, 'the untouched assertion verifies');
    for (const [what, forgedToken, code] of rows) {
      // Sent straight to the upstream: what anything that reaches it past Gatehouse could do.
      const direct = await send(Number(new URL(app.url).port), { path: '/direct', headers: { [HEADER]: forgedToken } });
      assert.equal(direct.status, 401, what);
      assert.equal((JSON.parse(direct.body) as Verdict).code, code, what);
    }
  });

  test('a client-sent assertion never reaches the upstream: replaced on signed routes, removed everywhere else', async () => {
    const forged = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.';
    const signed = await get(gh, '/signed/x', token, { 'X-Gatehouse-Assertion': forged, 'x_gatehouse_assertion': forged });
    assert.equal(signed.status, 200);
    assert.notEqual(signed.body!.token, forged);
    const got = app.requests.at(-1)!;
    assert.equal(got.rawHeaders.filter((v, i) => i % 2 === 0 && /^x[-_]gatehouse[-_]assertion$/i.test(v)).length, 1, 'exactly one, ours');
    const plain = await get(gh, '/plain', token, { 'X-Gatehouse-Assertion': forged });
    assert.equal(plain.body!.code, 'missing', 'an unsigned route sends none, and drops the client\'s');
    const anonymous = await send(gh.port, { path: '/public/x', headers: { 'X-Gatehouse-Assertion': forged } });
    assert.equal((JSON.parse(anonymous.body) as Verdict).code, 'missing', 'an anonymous caller on a public route gets none');
  });

  test(`a role change shows in the next assertion within ${ROLE_BOUND_MS} ms`, async () => {
    assert.deepEqual((await get(gh, '/signed/x', token)).body!.payload!['roles'], ['dev']);
    const changed = Date.now();
    await gh.store.users.update(userId, { roles: ['dev', 'ops'] });
    const elapsed = await until('the new role in the assertion', 5000, async () => {
      const res = await get(gh, '/signed/x', token);
      return (res.body!.payload!['roles'] as string[]).includes('ops') ? Date.now() - changed : undefined;
    });
    assert.ok(elapsed <= ROLE_BOUND_MS, `role change reached the assertion after ${elapsed} ms`);
  });

  test('`gatehouse keys rotate`: both keys verify through the overlap, the old one leaves the JWKS after it, a replay after exp is refused', async () => {
    const before = (await jwksOf(gh)).kids;
    assert.equal(before.length, 1);
    // A new session: its first assertion is signed now, so it has its whole lifetime left (not a cached one).
    const fresher = (await gh.auth.sessions.create((await gh.store.users.get(userId))!, { amr: ['pwd'] })).token;
    const byOldKey = await get(gh, '/signed/old', fresher);
    assert.equal(byOldKey.body!.kid, before[0]);
    const rotated = await runCli(['keys', 'rotate', '--config', configPath], { timeoutMs: 20_000 });
    assert.equal(rotated.code, 0, rotated.stderr);
    const added = JSON.parse(rotated.stdout) as { kid: string; signs_from: string };
    const activatesAt = Date.parse(added.signs_from);
    // Published at once (within a refresh), so verifiers caching the JWKS know it before it signs.
    await until('the new key in the JWKS', 5000, async () => ((await jwksOf(gh)).kids.includes(added.kid) ? true : undefined));
    const meanwhile = await get(gh, '/signed/old', token);
    if (Date.now() < activatesAt) assert.equal(meanwhile.body!.kid, before[0], 'the old key signs until the new one activates');
    const old = meanwhile.body!.kid === before[0] ? meanwhile : byOldKey;
    const fresh = await until('an assertion by the new key', 5000, async () => {
      const res = await get(gh, '/signed/new', token);
      return res.body!.kid === added.kid ? res : undefined;
    });
    assert.ok(Date.now() >= activatesAt, 'the new key signs only from its activation');
    assert.equal(fresh.status, 200, 'the verifier (JWKS cached for its max-age) accepts the new key at once');
    assert.equal((await verifier.verify(old.body!.token!)).ok, true, 'an assertion by the old key still verifies in the overlap');
    assert.deepEqual((await jwksOf(gh)).kids, [before[0], added.kid]);
    const listed = await runCli(['keys', 'list', '--config', configPath], { timeoutMs: 20_000 });
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(listed.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { kid: string }).kid), [before[0], added.kid]);
    assert.equal((await runCli(['keys', 'list', '--now', '--config', configPath])).code, 2, '--now is for rotate only: a usage error');
    const gone = await until('the old key to leave the JWKS', OVERLAP_MS + 5000, async () => (!(await jwksOf(gh)).kids.includes(before[0]!) ? Date.now() : undefined));
    assert.ok(gone >= activatesAt + OVERLAP_MS, `the old key left ${activatesAt + OVERLAP_MS - gone} ms before the overlap ended`);
    verifier.reset();
    const replay = await verifier.verify(fresh.body!.token!);
    assert.equal(replay.ok, false);
    assert.equal(replay.code, 'ERR_JWT_EXPIRED', `a replay after exp (${LIFETIME_S} s) is refused`);
    assert.equal((await verifier.verify(old.body!.token!)).code, 'ERR_JWKS_NO_MATCHING_KEY', 'the old key is no longer known');
  });
});

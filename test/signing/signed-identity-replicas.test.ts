// Replicas share the signing keys through PostgreSQL: both serve the same JWKS, and an assertion from either verifies
// against the other's JWKS. A replica that cannot open the keys (another encryption key) refuses the routes that need
// the assertion with 503 GATE_ERR_SIGNING_UNAVAILABLE and never forwards them unsigned; its other routes still work.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { send, startUpstream, type TestUpstream } from '../helpers/core-net.js';

const KEY = 'replica test encryption key, thirty-two characters or more';

await describeEachDriver('signed identity across replicas', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let app: TestUpstream;
  const replicas: FullGatehouse[] = [];
  let stranger: FullGatehouse;
  const routes = [
    { name: 'signed', match: { path: '/signed/' }, policy: 'authenticated', upstream: 'app', signed_identity: true },
    { name: 'plain', match: { path: '/' }, policy: 'authenticated', upstream: 'app' },
  ];
  const overrides = (key: string) => ({ accounts: { encryption_key: key }, signed_identity: { keys: { refresh_interval: '200ms' } } });

  before(async () => {
    db = await makeDatabase();
    app = await startUpstream('app');
    replicas.push(await startFullGatehouse(db, { app: app.url }, routes, overrides(KEY)));
    replicas.push(await startFullGatehouse(db, { app: app.url }, routes, overrides(KEY)));
    stranger = await startFullGatehouse(db, { app: app.url }, routes, overrides(`another ${KEY}`));
  });
  after(async () => {
    for (const r of [...replicas, stranger]) await r?.stop();
    await app?.close();
    await db?.drop();
  });

  test('two replicas publish the same JWKS, and each one\'s assertions verify against the other\'s', async () => {
    const [a, b] = replicas as [FullGatehouse, FullGatehouse];
    const jwksA = await send(a.port, { path: '/.gatehouse/jwks.json' });
    const jwksB = await send(b.port, { path: '/.gatehouse/jwks.json' });
    assert.equal(jwksA.status, 200);
    assert.equal(jwksA.body, jwksB.body);
    assert.equal((JSON.parse(jwksA.body) as { keys: unknown[] }).keys.length, 1, 'one key, made by whichever started first');
    const user = await a.store.users.create({ email: 'replicas@example.test', roles: ['dev'] });
    const token = (await a.auth.sessions.create(user, { amr: ['pwd'] })).token;
    for (const [signer, verifier] of [[a, b], [b, a]] as const) {
      const res = await send(signer.port, { path: '/signed/x', headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      const assertion = app.requests.at(-1)!.headers['x-gatehouse-assertion'] as string;
      const { payload } = await jwtVerify(assertion, createRemoteJWKSet(new URL(`${verifier.base}/.gatehouse/jwks.json`)), { issuer: 'http://127.0.0.1', audience: app.url });
      assert.equal(payload.sub, user.id);
    }
  });

  test('a replica that cannot open the keys answers 503 on signed routes, forwards nothing unsigned, serves the rest', async () => {
    const user = await stranger.store.users.create({ email: 'stranger@example.test' });
    const token = (await stranger.auth.sessions.create(user, {})).token;
    const before = app.requests.length;
    const refused = await send(stranger.port, { path: '/signed/x', headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    assert.equal(refused.status, 503, refused.body);
    assert.equal(JSON.parse(refused.body).code, 'GATE_ERR_SIGNING_UNAVAILABLE');
    assert.ok(refused.headers['retry-after'] !== undefined);
    assert.equal(app.requests.length, before, 'nothing reached the upstream');
    const plain = await send(stranger.port, { path: '/plain', headers: { authorization: `Bearer ${token}` } });
    assert.equal(plain.status, 200);
    // Its JWKS is not served either: it never completed a read of the keys, so it vouches for none.
    const jwks = await send(stranger.port, { path: '/.gatehouse/jwks.json' });
    assert.equal(jwks.status, 503);
  });
}, ['postgres']);

// The signing key ring on a real SQLite store with a controlled clock: the first key, publish-before-sign rotation and
// the synchronous hand-over, the overlap and the forgetting of retired keys, scheduled rotation, two replicas rotating
// at once (one key added), and what a replica that cannot read its keys does (keeps signing for overlap - lifetime
// after its last good read, then stops; never signs with keys it could not open).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { secretBoxFromKey } from '../../src/accounts/secret-box.js';
import { signedIdentitySchema } from '../../src/signing/config-schema.js';
import { SigningKeyRing } from '../../src/signing/key-ring.js';
import { silentLogger } from '../../src/log/logger.js';
import { openStore, type Store } from '../../src/store/index.js';
import { sqliteDatabase, type TestDatabase } from '../store/databases.js';

const MATERIAL = 'key ring test encryption key of at least thirty-two characters';
const config = signedIdentitySchema.parse({
  lifetime: '60s', keys: { rotate_every: '30d', jwks_max_age: '5m', refresh_interval: '30s', overlap: '10m' },
});
const DAY = 86_400_000;

let db: TestDatabase;
let store: Store;
before(async () => {
  db = sqliteDatabase();
  store = await openStore(db.config, { logger: silentLogger() });
});
after(async () => {
  await store?.close();
  await db?.drop();
});

function ring(clock: { now: number }, material = MATERIAL, s: Store = store): SigningKeyRing {
  return new SigningKeyRing({ keys: s.signingKeys, box: secretBoxFromKey(material), config, logger: silentLogger(), now: () => clock.now });
}

test('rotation: the first key signs at once; a rotated key is published first, signs after jwks_max_age, and its predecessor leaves after the overlap', async () => {
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const a = ring(clock);
  assert.equal(a.active(), undefined, 'nothing before the first read');
  await a.refresh();
  const first = a.active();
  assert.ok(first !== undefined);
  assert.equal(a.jwks().jwks.keys.length, 1);
  const stored = (await store.signingKeys.list())[0]!;
  assert.ok(!stored.sealedPrivateJwk.includes('"d"'), 'the private key is sealed, not stored in the clear');

  const rotated = await a.rotate({ immediate: false });
  assert.ok(rotated.added !== undefined);
  assert.equal(rotated.activatesAt.getTime(), clock.now + config.keys.jwks_max_age);
  await a.refresh();
  assert.deepEqual(a.jwks().jwks.keys.map((k) => k.kid), [first.kid, rotated.added.kid], 'published at once');
  assert.equal(a.active()!.kid, first.kid, 'the old key still signs');
  clock.now = rotated.activatesAt.getTime();
  assert.equal(a.active()!.kid, rotated.added.kid, 'the new key signs from its activation, without another read');
  clock.now += config.keys.overlap - 1;
  await a.refresh();
  assert.equal(a.jwks().jwks.keys.length, 2, 'the old key is kept through the overlap');
  clock.now += 1;
  await a.refresh();
  assert.deepEqual(a.jwks().jwks.keys.map((k) => k.kid), [rotated.added.kid], 'then it leaves the JWKS');
  assert.deepEqual((await store.signingKeys.list()).map((k) => k.kid), [rotated.added.kid], 'and the store');
});

test('scheduled rotation: a read rotate_every after the newest key adds the next one; two replicas add one between them', async () => {
  const newest = (await store.signingKeys.list()).at(-1)!;
  const clock = { now: newest.createdAt.getTime() + 30 * DAY };
  const [a, b] = [ring(clock), ring(clock)];
  await Promise.all([a.refresh(), b.refresh()]);
  const keys = await store.signingKeys.list();
  assert.equal(keys.length, 2, 'one new key, whichever replica added it');
  assert.equal(keys[1]!.generation, newest.generation + 1);
  assert.equal(keys[1]!.activatesAt.getTime(), clock.now + config.keys.jwks_max_age);
  assert.deepEqual(a.jwks().jwks, b.jwks().jwks, 'both publish the same JWKS');
  // A replica that rotates by hand on a stale list loses to the generation already taken.
  const lost = await a.rotate({ immediate: true, after: keys.slice(0, 1) });
  assert.equal(lost.added, undefined);
});

test('a replica that cannot read its keys keeps signing for overlap - lifetime after its last read, then refuses', async () => {
  const clock = { now: (await store.signingKeys.list()).at(-1)!.activatesAt.getTime() };
  const other = await openStore(db.config, { logger: silentLogger() });
  const r = ring(clock, MATERIAL, other);
  await r.refresh();
  const key = r.active();
  assert.ok(key !== undefined);
  await other.close();
  clock.now += 1000;
  await assert.rejects(r.refresh(), 'the read fails');
  clock.now += config.keys.overlap - config.lifetime - 1000;
  assert.equal(r.active()?.kid, key.kid, 'still vouching at overlap - lifetime after the last good read');
  clock.now += 1;
  assert.equal(r.active(), undefined, 'not a moment after');
});

test('keys sealed under another encryption key are never used', async () => {
  const clock = { now: Date.now() };
  const stranger = ring(clock, `another ${MATERIAL}`);
  await assert.rejects(stranger.refresh());
  assert.equal(stranger.active(), undefined);
  assert.equal(stranger.jwks().loaded, false);
});

// A store read already in flight when a session is revoked, or its user changed, must not put its older answer
// into the cache (the revocation or change would otherwise be undone on this replica for a whole cache TTL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/store.js';
import { sessionsSchema } from '../../src/sessions/config-schema.js';
import { SessionService } from '../../src/sessions/session-service.js';
import { loadTokenKeys } from '../../src/sessions/token-keys.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { silentLogger } from '../../src/log/logger.js';
import { sqliteDatabase } from '../store/databases.js';

/** The real store, with `users.get` held until the test lets it go (a fault injector at the edge, nothing more). */
function withHeldUserRead(store: Store) {
  let hold: Promise<void> | undefined;
  let release = (): void => undefined;
  let reached = (): void => undefined;
  const arrived = new Promise<void>((r) => { reached = r; });
  const users = {
    ...store.users,
    get: async (id: string) => {
      if (hold) {
        reached();
        await hold;
      }
      return store.users.get(id);
    },
  };
  return {
    store: { ...store, users } as Store,
    holdNext() { hold = new Promise<void>((r) => { release = () => { hold = undefined; r(); }; }); },
    arrived,
    release: () => release(),
  };
}

async function setup() {
  const db = sqliteDatabase();
  const store = await openStore(db.config, { logger: silentLogger() });
  const config = sessionsSchema.parse({});
  const held = withHeldUserRead(store);
  const sessions = new SessionService({
    store: held.store, config, keys: await loadTokenKeys(config, store.settings), metrics: createMetrics(), logger: silentLogger(),
  });
  const user = await store.users.create({ email: `${randomUUID()}@example.com`, roles: ['admin'] });
  const { token, sessionId } = await sessions.create(user, {});
  return { db, store, held, sessions, user, token, sessionId, async close() { await store.close(); await db.drop(); } };
}

test('a revocation during an in-flight store read is not undone by that read', async () => {
  const t = await setup();
  try {
    t.held.holdNext();
    const validating = t.sessions.validate(t.token);
    await t.held.arrived;
    await t.sessions.revoke(t.sessionId);
    t.held.release();
    assert.equal(await validating, undefined, 'the request that raced the revocation is refused');
    assert.equal(await t.sessions.validate(t.token), undefined, 'and nothing stale was cached');
  } finally {
    await t.close();
  }
});

test('a role change after the user was read but before the entry is cached makes the request read again', async () => {
  const t = await setup();
  try {
    // Hold the last step of a cache miss (loading memberships), after the user row has been read.
    let release = (): void => undefined;
    let reached = (): void => undefined;
    const arrived = new Promise<void>((r) => { reached = r; });
    let holding = true;
    const config = sessionsSchema.parse({});
    const sessions = new SessionService({
      store: t.store, config, keys: await loadTokenKeys(config, t.store.settings), metrics: createMetrics(), logger: silentLogger(),
      loadOrgs: async () => {
        if (holding) {
          holding = false;
          reached();
          await new Promise<void>((r) => { release = r; });
        }
        return [];
      },
    });
    const validating = sessions.validate(t.token);
    await arrived;
    // The role is removed meanwhile (AccountAdmin does exactly this: a store update, then an eviction).
    await t.store.users.update(t.user.id, { roles: [] });
    sessions.evictUser(t.user.id);
    release();
    assert.deepEqual((await validating)?.roles, [], 'the request is judged on the new roles');
    assert.deepEqual((await sessions.validate(t.token))?.roles, [], 'and the cache holds the new roles');
  } finally {
    await t.close();
  }
});

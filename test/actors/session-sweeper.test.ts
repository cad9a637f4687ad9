import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { createSessionSweeper } from '../../src/actors/session-sweeper.js';
import { StoreDownError } from '../../src/errors/index.js';
import { silentLogger } from '../../src/log/logger.js';
import type { Store } from '../../src/store/index.js';
import { storeDrivers, type OpenedStore } from './store-drivers.js';

const HOUR = 3_600_000;
const WINDOW = 15 * 60_000;

for (const driver of await storeDrivers('session sweeper')) {
  describe(`session sweeper on ${driver.name}`, () => {
    let db: OpenedStore;
    before(async () => { db = await driver.open(); });
    after(async () => { await db?.close(); });

    test('deletes absolutely- and idle-expired sessions and ended throttle windows, keeps the rest', async () => {
      const now = Date.UTC(2031, 5, 1);
      const user = await db.store.users.create({ email: `${randomUUID()}@example.com` });
      const make = (expiresAt: number, idleExpiresAt: number) => db.store.sessions.create({
        id: randomUUID(), userId: user.id, createdAt: new Date(now - 48 * HOUR), expiresAt: new Date(expiresAt), idleExpiresAt: new Date(idleExpiresAt),
      });
      const expired = await make(now - 1, now + HOUR);
      const idle = await make(now + HOUR, now - 1);
      const live = await make(now + HOUR, now + HOUR);
      await db.store.loginAttempts.increment([`acct:${user.id}`], WINDOW, new Date(now - 2 * WINDOW));
      await db.store.loginAttempts.increment([`ip:${randomUUID()}`], WINDOW, new Date(now - 60_000));

      const sweeper = createSessionSweeper({ store: db.store, intervalMs: HOUR, loginAttemptWindowMs: WINDOW, logger: silentLogger(), clock: () => now });
      const result = await sweeper.sweep();
      assert.ok(result.sessions >= 2, JSON.stringify(result)); // other tests' sessions in this database may expire too
      assert.ok(result.loginAttempts >= 1, JSON.stringify(result));
      assert.equal(await db.store.sessions.get(expired.id), null);
      assert.equal(await db.store.sessions.get(idle.id), null);
      assert.notEqual(await db.store.sessions.get(live.id), null);
      assert.equal((await sweeper.sweep()).sessions, 0, 'a second sweep finds nothing');
      await sweeper.stop(1_000);
    });
  });
}

describe('session sweeper without a database', () => {
  test('a failing store is logged, never thrown; the timer sweeps on its own', async () => {
    let calls = 0;
    const failing = {
      sessions: { deleteExpired: async () => { calls++; throw new StoreDownError('injected'); } },
      loginAttempts: { prune: async () => { throw new Error('injected'); } },
    } as unknown as Pick<Store, 'sessions' | 'loginAttempts'>;
    const sweeper = createSessionSweeper({ store: failing, intervalMs: 10, loginAttemptWindowMs: WINDOW, logger: silentLogger() });
    assert.deepEqual(await sweeper.sweep(), { sessions: -1, loginAttempts: -1 });
    sweeper.start();
    const deadline = Date.now() + 2_000;
    while (calls < 3) {
      assert.ok(Date.now() < deadline, 'the timer did not sweep');
      await new Promise((r) => setTimeout(r, 10));
    }
    await sweeper.stop(1_000);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { createLastSeenDebouncer, type LastSeenDebouncer } from '../../src/actors/last-seen-debouncer.js';
import { StoreBusyError } from '../../src/errors/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import type { LastSeenUpdate, SessionsRepo, Store } from '../../src/store/index.js';
import { storeDrivers, type OpenedStore } from './store-drivers.js';

const logger = silentLogger();
const MIN = 60_000;
const INTERVAL = 5 * MIN;
const IDLE = 24 * 60 * MIN;

async function metricValue(m: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await m.get()).values.reduce((a, v) => a + v.value, 0);
}

/** The real sessions repo with its batch API counted at the edge, and optionally failing the first calls. */
function counted(real: Store, failFirst = 0): { store: Pick<Store, 'sessions'>; batches: LastSeenUpdate[][] } {
  const batches: LastSeenUpdate[][] = [];
  let failures = failFirst;
  const sessions: SessionsRepo = {
    ...real.sessions,
    async touchLastSeen(updates) {
      batches.push([...updates]);
      if (failures > 0) {
        failures--;
        throw new StoreBusyError('injected: database is locked');
      }
      return real.sessions.touchLastSeen(updates);
    },
  };
  return { store: { sessions }, batches };
}

for (const driver of await storeDrivers('last-seen debouncer')) {
  describe(`last-seen debouncer on ${driver.name}`, () => {
    let db: OpenedStore;
    const t0 = Date.UTC(2030, 0, 1, 12, 0, 0);
    before(async () => { db = await driver.open(); });
    after(async () => { await db?.close(); });

    async function userWithSessions(n: number): Promise<{ userId: string; sessionIds: string[] }> {
      const user = await db.store.users.create({ email: `${randomUUID()}@example.com`, createdAt: new Date(t0 - MIN) });
      const sessionIds: string[] = [];
      for (let i = 0; i < n; i++) {
        const s = await db.store.sessions.create({
          id: randomUUID(), userId: user.id, createdAt: new Date(t0 - MIN),
          expiresAt: new Date(t0 + 7 * IDLE), idleExpiresAt: new Date(t0 - MIN + IDLE),
        });
        sessionIds.push(s.id);
      }
      return { userId: user.id, sessionIds };
    }

    function debouncer(store: Pick<Store, 'sessions'>, metrics: Metrics = createMetrics(), extra: { maxEntries?: number } = {}): LastSeenDebouncer {
      return createLastSeenDebouncer({
        store, intervalMs: INTERVAL, idleTimeoutMs: IDLE, metrics, logger, clock: () => t0, flushIntervalMs: 20,
        backoff: { baseMs: 5, capMs: 20 }, ...(extra.maxEntries === undefined ? {} : { maxEntries: extra.maxEntries }),
      });
    }

    test('many touches from one user inside the window produce one write; a new window produces another', async () => {
      const { userId, sessionIds: [sessionId] } = await userWithSessions(1);
      const { store, batches } = counted(db.store);
      const metrics = createMetrics();
      const d = debouncer(store, metrics);
      d.start();
      for (let i = 0; i < 200; i++) d.touch(userId, sessionId!, t0 + i * 1_000); // 200 requests over 3m20s
      assert.equal(batches.length, 0, 'touch never writes on the request path');
      await d.flush();
      assert.equal(batches.length, 1);
      assert.deepEqual(batches[0], [{ userId, sessionId, at: new Date(t0), idleExpiresAt: new Date(t0 + IDLE) }]);
      assert.equal(await metricValue(metrics.lastSeenWrites), 1);
      assert.equal(await metricValue(metrics.lastSeenSkipped), 199);
      const s1 = (await db.store.sessions.get(sessionId!))!;
      assert.equal(s1.lastSeenAt.getTime(), t0);
      assert.equal(s1.idleExpiresAt.getTime(), t0 + IDLE, 'sliding idle expiry moved forward');
      assert.equal((await db.store.users.get(userId))!.lastSeenAt?.getTime(), t0);

      // The next window: one more write, with the new time.
      const t1 = t0 + INTERVAL + 1_000;
      for (let i = 0; i < 50; i++) d.touch(userId, sessionId!, t1 + i);
      await d.flush();
      assert.equal(batches.length, 2);
      assert.equal(await metricValue(metrics.lastSeenWrites), 2);
      assert.equal(await metricValue(metrics.lastSeenSkipped), 199 + 49);
      const s2 = (await db.store.sessions.get(sessionId!))!;
      assert.equal(s2.lastSeenAt.getTime(), t1);
      assert.equal(s2.idleExpiresAt.getTime(), t1 + IDLE);
      assert.equal((await db.store.users.get(userId))!.lastSeenAt?.getTime(), t1);
      await d.stop(5_000);
    });

    test('a second session of a user already written this window writes the session only', async () => {
      const { userId, sessionIds: [a, b] } = await userWithSessions(2);
      const { store, batches } = counted(db.store);
      const d = debouncer(store);
      d.touch(userId, a!, t0);
      d.touch(userId, b!, t0 + 10);
      d.touch(userId, a!, t0 + 20);
      d.touch(userId, b!, t0 + 30);
      await d.stop(5_000); // stop flushes what is pending
      assert.deepEqual(batches, [[
        { userId, sessionId: a, at: new Date(t0), idleExpiresAt: new Date(t0 + IDLE) },
        { sessionId: b, at: new Date(t0 + 10), idleExpiresAt: new Date(t0 + 10 + IDLE) },
      ]]);
      assert.equal((await db.store.sessions.get(b!))!.lastSeenAt.getTime(), t0 + 10);
    });

    test('the timer flushes on its own, and a busy store is retried until the update lands', async () => {
      const { userId, sessionIds: [sessionId] } = await userWithSessions(1);
      const { store, batches } = counted(db.store, 3);
      const d = debouncer(store);
      d.start();
      d.touch(userId, sessionId!, t0 + 7);
      const deadline = Date.now() + 5_000;
      while ((await db.store.sessions.get(sessionId!))!.lastSeenAt.getTime() !== t0 + 7) {
        assert.ok(Date.now() < deadline, 'the update never landed');
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(batches.length, 4);
      assert.equal(d.stats().failedFlushes, 3);
      assert.equal(d.stats().pending, 0);
      await d.stop(5_000);
    });

    test('memory stays bounded: the per-window maps hold at most maxEntries', async () => {
      const d = debouncer({ sessions: { ...db.store.sessions, touchLastSeen: async () => undefined } }, createMetrics(), { maxEntries: 10 });
      for (let i = 0; i < 500; i++) d.touch(`u${i}`, `s${i}`, t0);
      assert.ok(d.stats().trackedUsers <= 10 && d.stats().trackedSessions <= 10, JSON.stringify(d.stats()));
      await d.stop(1_000);
    });
  });
}

// The change feed reader on each real store: it applies every committed change once, skips what predates it,
// and drops the whole cache when it may have missed something (fell behind the retention, lost its listener).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createChangeFeed, type CacheInvalidation } from '../../src/actors/change-feed.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { silentLogger } from '../../src/log/logger.js';
import type { ChangeListener, Store } from '../../src/store/store.js';
import { storeDrivers } from './store-drivers.js';

function recordingCache() {
  const calls: string[] = [];
  const cache: CacheInvalidation = {
    forgetSession: (id) => calls.push(`session:${id}`),
    evictUser: (id) => calls.push(`user:${id}`),
    clear: () => calls.push('clear'),
  };
  return { calls, cache };
}

for (const driver of await storeDrivers('change feed')) {
  describe(`change feed reader [${driver.name}]`, () => {
    test('applies each change once, in order, and nothing written before it started', async () => {
      const { store, close } = await driver.open();
      try {
        const early = await store.users.create({ email: `${randomUUID()}@example.com` });
        await store.users.update(early.id, { roles: ['early'] });
        const { calls, cache } = recordingCache();
        const feed = createChangeFeed({ store, cache, pollIntervalMs: 60_000, retentionMs: 3_600_000, metrics: createMetrics(), logger: silentLogger() });
        await feed.start();
        const user = await store.users.create({ email: `${randomUUID()}@example.com` });
        const session = await store.sessions.create({ id: randomUUID(), userId: user.id, expiresAt: new Date(Date.now() + 60_000), idleExpiresAt: new Date(Date.now() + 60_000) });
        await store.users.update(user.id, { roles: ['admin'] });
        await store.sessions.revoke(session.id);
        await feed.poll();
        await feed.poll();
        assert.deepEqual(calls, [`user:${user.id}`, `session:${session.id}`], 'once each, none from before the start');
        await feed.stop(1000);
      } finally {
        await close();
      }
    });

    test('drops the whole cache when it fell behind the retention or its listener reconnected', async () => {
      const { store, close } = await driver.open();
      try {
        const user = await store.users.create({ email: `${randomUUID()}@example.com` });
        const { calls, cache } = recordingCache();
        let listener: ChangeListener | undefined;
        const withListener: Pick<Store, 'changes' | 'subscribeToChanges'> = {
          changes: store.changes,
          subscribeToChanges: async (l) => { listener = l; return { close: async () => undefined }; },
        };
        const feed = createChangeFeed({ store: withListener, cache, pollIntervalMs: 60_000, retentionMs: 3_600_000, metrics: createMetrics(), logger: silentLogger() });
        await store.users.update(user.id, { name: 'a' });
        await feed.start();
        await store.users.update(user.id, { name: 'b' });
        await store.users.update(user.id, { name: 'c' });
        // Everything this replica has not read yet is pruned away (another replica's retention, say).
        await store.changes.prune(new Date(Date.now() + 1000));
        await store.users.update(user.id, { name: 'd' });
        await feed.poll();
        assert.ok(calls.includes('clear'), `cleared after falling behind: ${calls.join(' ')}`);
        calls.length = 0;
        listener!.onReconnect();
        await feed.poll();
        assert.equal(calls[0], 'clear', 'a reconnected listener may have missed notifications');
        await feed.stop(1000);
      } finally {
        await close();
      }
    });
  });
}

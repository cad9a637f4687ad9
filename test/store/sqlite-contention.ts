// SQLite under contention: another connection holds the write lock. A store write must fail with StoreBusy after
// the busy timeout, reads must go on, and the event loop must keep turning while the writer thread waits.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { silentLogger } from '../../src/log/logger.js';
import { openStore, type Store } from '../../src/store/index.js';
import { StoreBusyError } from '../../src/errors/index.js';
import { sqliteDatabase, type TestDatabase } from './databases.js';

const BUSY_TIMEOUT_MS = 500;

/** Registers the SQLite contention tests. */
export function sqliteContentionTests(): void {
  describe('sqlite under write contention', () => {
    let db: TestDatabase;
    let store: Store;
    before(async () => {
      db = sqliteDatabase(BUSY_TIMEOUT_MS);
      store = await openStore(db.config, { logger: silentLogger() });
    });
    after(async () => {
      await store?.close();
      await db?.drop();
    });

    test('a write fails with StoreBusy after the timeout while reads and the event loop carry on', async () => {
      const user = await store.users.create({ email: 'reader@example.com' });
      const other = new Database(db.config.sqlite.path);
      other.exec('BEGIN IMMEDIATE');
      const histogram = monitorEventLoopDelay({ resolution: 5 });
      let maxGap = 0;
      let last = performance.now();
      const ticker = setInterval(() => {
        const t = performance.now();
        maxGap = Math.max(maxGap, t - last);
        last = t;
      }, 5);
      histogram.enable();
      try {
        const started = performance.now();
        const write = store.users.create({ email: 'writer@example.com' }).then(
          () => assert.fail('the write should not get the lock'),
          (err: unknown) => { assert.ok(err instanceof StoreBusyError, String(err)); return performance.now() - started; },
        );
        const reads: number[] = [];
        const reader = (async () => {
          while (performance.now() - started < BUSY_TIMEOUT_MS - 50) {
            assert.equal((await store.users.get(user.id))?.email, 'reader@example.com');
            reads.push(performance.now() - started);
            await new Promise((r) => setTimeout(r, 20));
          }
        })();
        const waited = await write;
        await reader;
        histogram.disable();
        clearInterval(ticker);
        const loopMaxMs = histogram.max / 1e6;
        console.log(`sqlite contention: write failed after ${waited.toFixed(0)} ms; ${reads.length} reads meanwhile; ` +
          `event-loop delay max ${loopMaxMs.toFixed(1)} ms, p99 ${(histogram.percentile(99) / 1e6).toFixed(1)} ms, max timer gap ${maxGap.toFixed(1)} ms`);
        assert.ok(waited >= BUSY_TIMEOUT_MS * 0.9, `failed too early (${waited} ms)`);
        assert.ok(waited < BUSY_TIMEOUT_MS * 3, `failed too late (${waited} ms)`);
        assert.ok(reads.length >= 5, 'reads went on during the wait');
        assert.ok(loopMaxMs < BUSY_TIMEOUT_MS / 5, `event loop stalled ${loopMaxMs} ms`);
        assert.ok(maxGap < BUSY_TIMEOUT_MS / 5, `timer gap ${maxGap} ms`);
      } finally {
        histogram.disable();
        clearInterval(ticker);
        other.exec('ROLLBACK');
        other.close();
      }
      assert.ok(await store.users.create({ email: 'writer@example.com' }), 'writes work once the lock is free');
    });

    test('writes queued behind a held lock fail within one timeout in total, not one each', async () => {
      const other = new Database(db.config.sqlite.path);
      other.exec('BEGIN IMMEDIATE');
      try {
        const started = performance.now();
        const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.transaction(async (tx) => {
          await tx.users.create({ email: `queued-${i}@example.com` });
        })));
        const elapsed = performance.now() - started;
        assert.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof StoreBusyError));
        assert.ok(elapsed < BUSY_TIMEOUT_MS * 2, `10 queued writes took ${elapsed} ms`);
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
    });
  });
}

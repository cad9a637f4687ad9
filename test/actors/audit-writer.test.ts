import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { createAuditWriter, type AuditRecord, type AuditWriter } from '../../src/actors/audit-writer.js';
import { auditSchema, type AuditConfig } from '../../src/actors/config-schema.js';
import { GatehouseError, StoreBusyError, StoreDownError } from '../../src/errors/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import type { AuditEvent, AuditRepo, Store } from '../../src/store/index.js';
import { eventually } from '../helpers/core-net.js';
import { storeDrivers, type OpenedStore } from './store-drivers.js';

const logger = silentLogger();
const FAST_RETRY = { baseMs: 5, capMs: 40 };

function config(overrides: Partial<AuditConfig> = {}): AuditConfig {
  return { ...auditSchema.parse({}), ...overrides };
}

async function metricValue(m: { get(): Promise<{ values: { value: number; labels: Record<string, unknown>; metricName?: string }[] }> }, filter?: (l: Record<string, unknown>, name?: string) => boolean): Promise<number> {
  return (await m.get()).values.filter((v) => !filter || filter(v.labels, v.metricName)).reduce((a, v) => a + v.value, 0);
}

/** Every audit event of one run (tagged by `org`), read back page by page from the real store. */
async function storedEvents(store: Store, org: string): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.audit.list({ org, limit: 500, cursor });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

/**
 * The real store's audit repo wrapped at its edge: counts calls and batch sizes, and injects faults: the first
 * `failFirst` calls throw (StoreBusyError by default) without writing, and with `commitThenFail` the first call
 * writes and then throws, like a commit whose answer was lost. Everything else goes to the real database.
 */
function instrumented(real: Store, faults: { failFirst?: number; error?: () => Error; commitThenFail?: boolean; hang?: boolean } = {}) {
  const calls: number[] = [];
  let failures = faults.failFirst ?? 0;
  let commitThenFail = faults.commitThenFail ?? false;
  const audit: AuditRepo = {
    ...real.audit,
    async insert(events) {
      calls.push(events.length);
      if (faults.hang) return new Promise<number>(() => undefined);
      if (failures > 0) {
        failures--;
        throw faults.error ? faults.error() : new StoreBusyError('injected: database is locked');
      }
      const n = await real.audit.insert(events);
      if (commitThenFail) {
        commitThenFail = false;
        throw new StoreDownError('injected: connection lost after commit');
      }
      return n;
    },
  };
  return { store: { audit }, calls };
}

function event(org: string, i: number): AuditRecord {
  return { actor: `user-${i % 7}`, org, action: 'user.login', target: null, clientIp: '203.0.113.9', userAgent: 'test', data: { i, result: 'success' } };
}

function writer(store: Pick<Store, 'audit'>, cfg: Partial<AuditConfig>, metrics: Metrics = createMetrics()): { w: AuditWriter; metrics: Metrics } {
  return { w: createAuditWriter({ store, config: config(cfg), metrics, logger, backoff: FAST_RETRY }), metrics };
}

for (const driver of await storeDrivers('audit writer')) {
  describe(`audit writer on ${driver.name}`, () => {
    let db: OpenedStore;
    before(async () => { db = await driver.open(); });
    after(async () => { await db?.close(); });

    test('N events recorded, then stop(): all N are in the store, in batches of at most batch_size', async () => {
      const org = randomUUID();
      const { store, calls } = instrumented(db.store);
      const { w, metrics } = writer(store, { batch_size: 100, flush_interval: 60_000, queue_size: 5_000 });
      w.start();
      const N = 1_050;
      for (let i = 0; i < N; i++) w.record(event(org, i));
      await w.stop(10_000);
      const stored = await storedEvents(db.store, org);
      assert.equal(stored.length, N);
      assert.equal(new Set(stored.map((e) => e.id)).size, N);
      assert.ok(calls.every((n) => n <= 100), `batch sizes ${calls.join(',')}`);
      assert.equal(calls.reduce((a, n) => a + n, 0), N);
      assert.equal(calls.length, Math.ceil(N / 100));
      assert.equal(await metricValue(metrics.auditWritten), N);
      assert.equal(await metricValue(metrics.auditQueueDepth), 0);
      assert.equal(await metricValue(metrics.auditQueueCapacity), 5_000);
      assert.equal(w.stats().written, N);
      const one = stored.find((e) => (e.data as { i: number }).i === 3)!;
      assert.deepEqual([one.actor, one.action, one.clientIp, one.userAgent], ['user-3', 'user.login', '203.0.113.9', 'test']);
    });

    test('fewer than a batch are flushed after flush_interval without stop', async () => {
      const org = randomUUID();
      const { store, calls } = instrumented(db.store);
      const { w } = writer(store, { batch_size: 100, flush_interval: 50 });
      w.start();
      for (let i = 0; i < 3; i++) w.record(event(org, i));
      assert.equal(calls.length, 0, 'record never writes on the caller\'s path');
      await eventually(5_000, 'the interval flush', async () => (await storedEvents(db.store, org)).length === 3);
      assert.deepEqual(calls, [3]);
      await w.stop(5_000);
    });

    test('a store failing for a while (busy, then down) and recovering loses nothing and duplicates nothing', async () => {
      const org = randomUUID();
      const K = 4;
      let n = 0;
      // Fault injector at the edge: the first K inserts fail, alternating busy and down.
      const { store, calls } = instrumented(db.store, {
        failFirst: K, error: () => (n++ % 2 === 0 ? new StoreBusyError('injected: locked') : new StoreDownError('injected: unreachable')),
      });
      const { w, metrics } = writer(store, { batch_size: 50, flush_interval: 10 });
      w.start();
      const N = 230;
      for (let i = 0; i < N; i++) w.record(event(org, i));
      await eventually(10_000, 'all events written', async () => (await storedEvents(db.store, org)).length === N);
      await w.stop(5_000);
      const stored = await storedEvents(db.store, org);
      assert.equal(stored.length, N);
      assert.deepEqual(new Set(stored.map((e) => (e.data as { i: number }).i)), new Set(Array.from({ length: N }, (_, i) => i)));
      assert.equal(w.stats().failedFlushes, K);
      assert.equal(calls.length, K + Math.ceil(N / 50));
      assert.equal(await metricValue(metrics.auditFlushDuration, (l, name) => l['result'] === 'busy' && name?.endsWith('_count') === true), K / 2);
      assert.equal(await metricValue(metrics.auditFlushDuration, (l, name) => l['result'] === 'down' && name?.endsWith('_count') === true), K / 2);
      assert.equal(await metricValue(metrics.auditWritten), N);
      assert.equal(await metricValue(metrics.auditDropped), 0);
    });

    test('a batch that committed but whose answer was lost is retried without duplicates (ids chosen at record time)', async () => {
      const org = randomUUID();
      const { store, calls } = instrumented(db.store, { commitThenFail: true });
      const { w } = writer(store, { batch_size: 20, flush_interval: 10 });
      w.start();
      for (let i = 0; i < 20; i++) w.record(event(org, i));
      await w.stop(5_000);
      assert.deepEqual(calls, [20, 20]);
      assert.equal((await storedEvents(db.store, org)).length, 20);
    });

    test('drop policy: past queue_size events are dropped and counted exactly; the rest are written', async () => {
      const org = randomUUID();
      const { w, metrics } = writer(db.store, { queue_size: 10, batch_size: 100, overflow: 'drop' });
      // Not started yet, so nothing drains while the queue fills.
      for (let i = 0; i < 27; i++) w.record(event(org, i));
      assert.equal(w.stats().dropped, 17);
      assert.equal(await metricValue(metrics.auditDropped), 17);
      assert.equal(await metricValue(metrics.auditQueueDepth), 10);
      w.start();
      await w.stop(5_000);
      const stored = await storedEvents(db.store, org);
      assert.deepEqual(stored.map((e) => (e.data as { i: number }).i).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.equal(await metricValue(metrics.auditDropped), 17);
    });

    test('reject policy: past queue_size record throws GATE_ERR_AUDIT_QUEUE_FULL (503) and nothing is dropped', async () => {
      const org = randomUUID();
      const { w, metrics } = writer(db.store, { queue_size: 5, overflow: 'reject' });
      for (let i = 0; i < 5; i++) w.record(event(org, i));
      assert.throws(() => w.record(event(org, 5)), (err: unknown) =>
        err instanceof GatehouseError && err.code === 'GATE_ERR_AUDIT_QUEUE_FULL' && err.status === 503);
      assert.equal(w.stats().rejected, 1);
      assert.equal(await metricValue(metrics.auditDropped), 0);
      await w.stop(5_000); // stop without start still drains
      assert.equal((await storedEvents(db.store, org)).length, 5);
      w.record(event(org, 6)); // after stop: dropped and counted, never silently queued
      assert.equal(await metricValue(metrics.auditDropped), 1);
    });
  });
}

describe('audit writer without a database', () => {
  test('record never waits: a hung store does not block it, and stop gives up at its deadline', async () => {
    const { store, calls } = instrumented({} as Store, { hang: true });
    const { w } = writer(store, { batch_size: 2, flush_interval: 10 });
    w.start();
    for (let i = 0; i < 5; i++) w.record(event('o', i));
    await eventually(2_000, 'the first insert', () => calls.length === 1);
    w.record(event('o', 5)); // returns at once although the writer is stuck in I/O
    const t0 = Date.now();
    await w.stop(100);
    assert.ok(Date.now() - t0 < 2_000);
    assert.equal(w.stats().written, 0);
  });

  test('malformed events fail their producer at once instead of wedging the queue', () => {
    const { w } = writer({ audit: {} as AuditRepo }, {});
    assert.throws(() => w.record({ ...event('o', 1), action: 'x'.repeat(129) }), TypeError);
    assert.throws(() => w.record({ ...event('o', 1), action: '' }), TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    assert.throws(() => w.record({ ...event('o', 1), data: cyclic }), TypeError);
    assert.equal(w.stats().depth, 0);
  });
});

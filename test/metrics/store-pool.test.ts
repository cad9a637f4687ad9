// The store pool gauges and the per-operation latency histogram on PostgreSQL and MySQL, read from a saturated
// pool: with pool_max 1 and one transaction holding the only connection, a second call waits, and the gauges say
// so (in use 1 of 1, 1 waiting); when the transaction ends, both calls complete and are timed by operation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachDriver } from '../helpers/drivers.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { migrate, openStore, storageSchema } from '../../src/store/index.js';
import { observeStore } from '../../src/store/observed-store.js';
import { silentLogger } from '../../src/log/logger.js';
import { eventually, sample } from '../helpers/core-net.js';

await describeEachDriver('store pool gauges under saturation', (driver, makeDatabase) => {
  test('in use, waiting and max while one transaction holds the only connection; each call timed by operation', async () => {
    const db = await makeDatabase();
    const config = storageSchema.parse({ ...db.config, [driver]: { ...(db.config as unknown as Record<string, Record<string, unknown>>)[driver], pool_max: 1, acquire_timeout: '5s' } });
    const logger = silentLogger();
    await migrate(config, logger);
    const metrics = createMetrics();
    const store = observeStore(await openStore(config, { logger }), { metrics, observer: { answered: () => undefined, unreachable: () => undefined } });
    const scrape = () => metrics.registry.metrics();
    try {
      let release!: () => void;
      const held = new Promise<void>((resolve) => { release = resolve; });
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => { entered = resolve; });
      const tx = store.transaction(async (t) => {
        await t.users.getByEmail('nobody@example.com');
        entered();
        await held;
      });
      await inside;
      const waiting = store.users.getByEmail('someone@example.com');
      const busy = await eventually(3000, 'a call waiting for the connection', async () => {
        const text = await scrape();
        return sample(text, 'gatehouse_store_pool_waiting') === 1 ? text : undefined;
      });
      assert.equal(sample(busy, 'gatehouse_store_pool_max'), 1);
      assert.equal(sample(busy, 'gatehouse_store_pool_in_use'), 1);
      assert.equal(sample(busy, 'gatehouse_store_pool_open'), 1);
      release();
      await tx;
      assert.equal(await waiting, null, "the waiting call completes once the connection is free");
      const idle = await scrape();
      assert.equal(sample(idle, 'gatehouse_store_pool_waiting'), 0);
      assert.equal(sample(idle, 'gatehouse_store_pool_in_use'), 0);
      assert.equal(sample(idle, 'gatehouse_store_operation_duration_seconds_count', { operation: 'transaction' }), 1);
      assert.equal(sample(idle, 'gatehouse_store_operation_duration_seconds_count', { operation: 'users.getByEmail' }), 1, 'the call made outside the transaction');
      assert.equal(sample(idle, 'gatehouse_build_info', { node: process.version }), 1);
    } finally {
      await store.close();
      await db.drop();
    }
  });
}, ['postgres', 'mysql']);

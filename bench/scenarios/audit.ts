// Scenario `audit`: audit events/s through the audit writer (the actor) into each store it can reach, batched
// (audit.batch_size 100, the default) against one event per transaction (batch_size 1), as the story's fix 2
// compares. In-process: the actor is a library inside Gatehouse, so this measures it with a real store and no HTTP.
// Each measurement queues events for a fixed window, keeping the queue short of full, and counts what was written.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createAuditWriter } from '../../src/actors/audit-writer.js';
import { auditSchema } from '../../src/actors/config-schema.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { silentLogger } from '../../src/log/logger.js';
import { migrate, openStore, storageSchema, type StorageConfig } from '../../src/store/index.js';
import { mysqlDatabase, postgresDatabase, reachable } from '../../test/store/databases.js';
import { noteCommand } from '../lib/processes.js';
import { fmt, median, type BenchContext, type Scenario, type ScenarioResult } from './common.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Events written per second by one writer with `batchSize`, over `ms`. */
async function measure(config: StorageConfig, batchSize: number, ms: number): Promise<{ perS: number; written: number; failedFlushes: number }> {
  const logger = silentLogger();
  await migrate(config, logger);
  const store = await openStore(config, { logger });
  const writer = createAuditWriter({ store, config: auditSchema.parse({ batch_size: batchSize, flush_interval: '50ms', queue_size: 100_000 }), metrics: createMetrics(), logger });
  await writer.start();
  try {
    const t0 = performance.now();
    const end = t0 + ms;
    let i = 0;
    while (performance.now() < end) {
      // Keep a few batches' worth waiting so the writer never idles, without letting the queue grow unbounded.
      while (writer.stats().depth < Math.max(1000, batchSize * 10)) {
        writer.record({ actor: 'bench-user', org: null, action: 'user.login', target: `t-${i++}`, clientIp: '127.0.0.1', userAgent: 'bench', data: { i } });
      }
      await sleep(1);
    }
    const written = writer.stats().written;
    const perS = written / ((performance.now() - t0) / 1000);
    return { perS, written, failedFlushes: writer.stats().failedFlushes };
  } finally {
    await writer.stop(5000).catch(() => undefined);
    await store.close();
  }
}

export const auditScenario: Scenario = {
  name: 'audit',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    noteCommand('audit scenario: in the orchestrator process (createAuditWriter + openStore, no HTTP)');
    const stores: { name: string; open(): Promise<{ config: StorageConfig; drop(): Promise<void> }> }[] = [
      { name: 'sqlite', open: async () => ({ config: storageSchema.parse({ driver: 'sqlite', sqlite: { path: join(ctx.tmpDir, `audit-${randomUUID()}.db`) } }), drop: async () => {} }) },
    ];
    const notes: string[] = [];
    for (const d of ['postgres', 'mysql'] as const) {
      if (await reachable(d)) stores.push({ name: d, open: async () => { const db = d === 'postgres' ? await postgresDatabase() : await mysqlDatabase(); return { config: db.config, drop: () => db.drop() }; } });
      else notes.push(`${d}: no server on 127.0.0.1; skipped`);
    }
    const ms = Math.max(1000, ctx.phaseMs / 2);
    const results: Record<string, { batched: number[]; single: number[]; failedFlushes: number }> = {};
    for (const s of stores) {
      const db = await s.open();
      results[s.name] = { batched: [], single: [], failedFlushes: 0 };
      try {
        for (let round = 0; round < ctx.rounds; round++) {
          const b = await measure(db.config, 100, ms);
          const one = await measure(db.config, 1, ms);
          results[s.name]!.batched.push(b.perS);
          results[s.name]!.single.push(one.perS);
          results[s.name]!.failedFlushes += b.failedFlushes + one.failedFlushes;
          ctx.log(`audit ${s.name} round ${round + 1}: batched ${fmt(b.perS)}/s, one per transaction ${fmt(one.perS)}/s`);
        }
      } finally {
        await db.drop();
      }
    }
    return {
      name: 'audit',
      summary: `Audit events/s through the audit writer into each reachable store: batches of 100 (the default) against one event per transaction; ${ctx.rounds} rounds of ${fmt(ms / 1000)} s each; medians.`,
      settings: { windowMs: ms, rounds: ctx.rounds },
      tables: [{
        title: 'audit: events written per second by the audit writer',
        header: ['store', 'batched (100 per transaction)', 'one per transaction', 'batching gain', 'failed flushes (retried)'],
        rows: Object.entries(results).map(([name, r]) => [name, fmt(median(r.batched)), fmt(median(r.single)), `${fmt(median(r.batched) / median(r.single))}x`, r.failedFlushes]),
      }],
      targets: [], notes, raw: results,
    };
  },
};

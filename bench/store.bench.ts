// Storage benchmark: per driver, audit rows/s one per transaction and in batches of 100, session point reads/s,
// each beside the raw driver with no store layer; for SQLite also the event-loop delay while the writer works
// and while another connection holds the write lock.
// Usage: node dist/bench/store.bench.js [--driver sqlite|postgres|mysql] [--runs 3] [--write-doc]
// --write-doc replaces the results block of docs/storage.md with this run's table (never typed by hand).
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { silentLogger } from '../src/log/logger.js';
import { migrate, openStore, type AuditEvent, type Store } from '../src/store/index.js';
import {
  mysqlDatabase, postgresDatabase, reachable, sqliteDatabase, type TestDatabase,
} from '../test/store/databases.js';

type Driver = 'sqlite' | 'postgres' | 'mysql';
interface Figures { single: number; batched: number; reads: number }
interface RawDb {
  insertOne(e: AuditEvent): Promise<void> | void;
  insertBatch(es: AuditEvent[]): Promise<void> | void;
  readSession(id: string): Promise<unknown> | unknown;
  close(): Promise<void> | void;
}

const SIZES: Record<Driver, { single: number; batched: number; reads: number }> = {
  sqlite: { single: 20_000, batched: 200_000, reads: 200_000 },
  postgres: { single: 3_000, batched: 100_000, reads: 20_000 },
  mysql: { single: 3_000, batched: 100_000, reads: 20_000 },
};

const logger = silentLogger();
const event = (i: number): AuditEvent => ({
  id: randomUUID(), at: new Date(1_700_000_000_000 + i), actor: 'bench-user', org: 'bench-org', action: 'user.login',
  target: null, clientIp: '203.0.113.7', userAgent: 'bench/1.0', data: { i },
});
const auditParams = (e: AuditEvent): (string | number | null)[] =>
  [e.id, e.at.getTime(), e.actor, e.org, e.action, e.target, e.clientIp, e.userAgent, JSON.stringify(e.data)];
const AUDIT_COLS = '(id, at, actor, org, action, target, client_ip, user_agent, data)';
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function rate(n: number, fn: (i: number) => Promise<unknown> | unknown, step = 1): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < n; i += step) await fn(i);
  return n / ((performance.now() - t) / 1000);
}

async function measure(sizes: Figures, insertOne: (e: AuditEvent) => unknown, insertBatch: (es: AuditEvent[]) => unknown,
  read: (id: string) => unknown, sessionIds: string[]): Promise<Figures> {
  const single = await rate(sizes.single, (i) => insertOne(event(i)));
  const batched = await rate(sizes.batched, (i) => insertBatch(Array.from({ length: 100 }, (_, k) => event(i + k))), 100);
  const reads = await rate(sizes.reads, (i) => read(sessionIds[i % sessionIds.length]!));
  return { single, batched, reads };
}

async function seedSessions(store: Store): Promise<string[]> {
  const user = await store.users.create({ email: `bench-${randomUUID()}@example.com` });
  const ids = Array.from({ length: 1000 }, () => `bench-${randomUUID()}`);
  const t = Date.now() + 86_400_000;
  await store.transaction(async (tx) => {
    for (const id of ids) await tx.sessions.create({ id, userId: user.id, expiresAt: new Date(t), idleExpiresAt: new Date(t) });
  });
  return ids;
}

async function rawFor(driver: Driver, db: TestDatabase): Promise<RawDb> {
  if (driver === 'sqlite') {
    const raw = new Database(db.config.sqlite.path, { timeout: 3000 });
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    const ins = raw.prepare(`INSERT OR IGNORE INTO audit_events ${AUDIT_COLS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const batch = raw.transaction((es: AuditEvent[]) => { for (const e of es) ins.run(...auditParams(e)); });
    const get = raw.prepare('SELECT * FROM sessions WHERE id = ?');
    return { insertOne: (e) => { ins.run(...auditParams(e)); }, insertBatch: (es) => batch(es), readSession: (id) => get.get(id), close: () => { raw.close(); } };
  }
  const values = (n: number): string => Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
  if (driver === 'postgres') {
    const c = new pg.Client({ connectionString: db.config.postgres.url });
    await c.connect();
    const num = (sql: string): string => { let n = 0; return sql.replace(/\?/g, () => `$${++n}`); };
    const one = num(`INSERT INTO audit_events ${AUDIT_COLS} VALUES ${values(1)} ON CONFLICT DO NOTHING`);
    const hundred = num(`INSERT INTO audit_events ${AUDIT_COLS} VALUES ${values(100)} ON CONFLICT DO NOTHING`);
    return {
      insertOne: async (e) => { await c.query(one, auditParams(e)); },
      insertBatch: async (es) => { await c.query(es.length === 100 ? hundred : num(`INSERT INTO audit_events ${AUDIT_COLS} VALUES ${values(es.length)}`), es.flatMap(auditParams)); },
      readSession: async (id) => (await c.query('SELECT * FROM sessions WHERE id = $1', [id])).rows[0],
      close: () => c.end(),
    };
  }
  const c = await mysql.createConnection({ uri: db.config.mysql.url, charset: 'utf8mb4', supportBigNumbers: true });
  return {
    insertOne: async (e) => { await c.query(`INSERT IGNORE INTO audit_events ${AUDIT_COLS} VALUES ${values(1)}`, auditParams(e)); },
    insertBatch: async (es) => { await c.query(`INSERT IGNORE INTO audit_events ${AUDIT_COLS} VALUES ${values(es.length)}`, es.flatMap(auditParams)); },
    readSession: async (id) => (await c.query<mysql.RowDataPacket[]>('SELECT * FROM sessions WHERE id = ?', [id]))[0][0],
    close: () => c.end(),
  };
}

/** Event-loop delay (max ms) while `work` runs. */
async function loopDelayDuring(work: () => Promise<unknown>): Promise<{ max: number; p99: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  // Let the histogram's timer tick once first: a stall before its first tick would go unrecorded.
  await new Promise((r) => setTimeout(r, 20));
  await work();
  h.disable();
  return { max: h.max / 1e6, p99: h.percentile(99) / 1e6 };
}

async function sqliteLoopFigures(): Promise<string[]> {
  const db = sqliteDatabase(500);
  const store = await openStore(db.config, { logger });
  const lines: string[] = [];
  try {
    // 1. The writer is busy with a stream of batched inserts (the audit writer at full tilt) for ~2 s.
    const busy = await loopDelayDuring(async () => {
      const end = performance.now() + 2000;
      let i = 0;
      while (performance.now() < end) { await store.audit.insert(Array.from({ length: 100 }, () => event(i++))); }
    });
    lines.push(`| store writer busy with batches of 100 for 2 s | ${busy.max.toFixed(1)} | ${busy.p99.toFixed(1)} |`);
    // 2. Another connection holds the write lock; a store write waits out busy_timeout (500 ms) on the writer thread.
    const other = new Database(db.config.sqlite.path);
    other.exec('BEGIN IMMEDIATE');
    const waiting = await loopDelayDuring(() => store.audit.insert([event(-1)]).catch(() => undefined));
    // 3. The same wait on the main thread, as a synchronous better-sqlite3 call would do it.
    const direct = new Database(db.config.sqlite.path, { timeout: 500 });
    const mainThread = await loopDelayDuring(async () => {
      const tick = new Promise((r) => setTimeout(r, 10));
      try { direct.exec('BEGIN IMMEDIATE'); } catch { /* SQLITE_BUSY after 500 ms, as expected */ }
      await tick;
    });
    direct.close();
    other.exec('ROLLBACK');
    other.close();
    lines.push(`| store write waiting 500 ms for a lock held elsewhere (writer thread) | ${waiting.max.toFixed(1)} | ${waiting.p99.toFixed(1)} |`);
    lines.push(`| same wait done on the main thread (raw better-sqlite3, for comparison) | ${mainThread.max.toFixed(1)} | ${mainThread.p99.toFixed(1)} |`);
  } finally {
    await store.close();
    await db.drop();
  }
  return lines;
}

async function benchDriver(driver: Driver, runs: number): Promise<string[]> {
  const storeRuns: Figures[] = [];
  const rawRuns: Figures[] = [];
  for (let r = 0; r < runs; r++) {
    // A fresh database per run and per side, so neither inherits the other's table size; the order alternates
    // because commit latency on a shared VM disk drifts during a run and would otherwise favour whichever goes first.
    for (const side of r % 2 === 0 ? ['raw', 'store'] as const : ['store', 'raw'] as const) {
      const db = driver === 'sqlite' ? sqliteDatabase() : driver === 'postgres' ? await postgresDatabase() : await mysqlDatabase();
      try {
        await migrate(db.config, logger);
        const store = await openStore(db.config, { logger });
        const ids = await seedSessions(store);
        if (side === 'store') {
          storeRuns.push(await measure(SIZES[driver], (e) => store.audit.insert([e]), (es) => store.audit.insert(es), (id) => store.sessions.get(id), ids));
          await store.close();
        } else {
          await store.close();
          const raw = await rawFor(driver, db);
          rawRuns.push(await measure(SIZES[driver], (e) => raw.insertOne(e), (es) => raw.insertBatch(es), (id) => raw.readSession(id), ids));
          await raw.close();
        }
      } finally {
        await db.drop();
      }
    }
  }
  const row = (label: string, key: keyof Figures): string => {
    const s = median(storeRuns.map((f) => f[key]));
    const w = median(rawRuns.map((f) => f[key]));
    return `| ${driver} | ${label} | ${Math.round(s).toLocaleString('en-US')} | ${Math.round(w).toLocaleString('en-US')} | ${(s / w * 100).toFixed(0)}% |`;
  };
  return [row('audit rows/s, 1 per transaction', 'single'), row('audit rows/s, batches of 100', 'batched'), row('session point reads/s (sequential)', 'reads')];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { driver: { type: 'string' }, runs: { type: 'string', default: '3' }, 'write-doc': { type: 'boolean', default: false } } });
  const runs = Math.max(1, Number(values.runs));
  const drivers: Driver[] = values.driver ? [values.driver as Driver] : ['sqlite', 'postgres', 'mysql'];
  const out: string[] = [
    `Run on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}; median of ${runs} runs.`,
    '', '| driver | measure | store | raw driver | store / raw |', '| --- | --- | ---: | ---: | ---: |',
  ];
  for (const d of drivers) {
    if (d !== 'sqlite' && !(await reachable(d))) { out.push(`| ${d} | SKIPPED: server unreachable | | | |`); continue; }
    out.push(...await benchDriver(d, runs));
    console.error(`bench: ${d} done`);
  }
  if (drivers.includes('sqlite')) {
    out.push('', '| SQLite event loop | delay max (ms) | p99 (ms) |', '| --- | ---: | ---: |', ...await sqliteLoopFigures());
  }
  const table = out.join('\n');
  console.log(table);
  if (values['write-doc']) {
    const path = new URL('../../docs/storage.md', import.meta.url);
    const doc = readFileSync(path, 'utf8');
    const updated = doc.replace(/(<!-- bench:store:start -->\n)[\s\S]*?(\n<!-- bench:store:end -->)/, `$1${table}$2`);
    writeFileSync(path, updated);
    console.error('bench: docs/storage.md updated');
  }
}

await main();

import pg from 'pg';
import type { Logger } from '../../log/logger.js';
import { migrationsFor, pendingMigrations, latestVersion, type AppliedMigration } from '../migrations/index.js';
import { mapPgError } from './pg-errors.js';
import { pgPoolConfig } from './pg-driver.js';

// Any fixed 64-bit number, the same in every Gatehouse: the advisory lock that serialises migrations.
const MIGRATION_LOCK = 0x6761_7465_686f;

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL
)`;

/**
 * Applies pending PostgreSQL migrations. A session advisory lock makes a second process wait, then find nothing
 * to do; each migration runs in its own transaction (PostgreSQL DDL is transactional) with its version record.
 */
export async function migratePg(url: string, acquireTimeoutMs: number, logger: Logger): Promise<{ applied: AppliedMigration[]; version: number }> {
  const all = migrationsFor('postgres');
  const client = new pg.Client(pgPoolConfig({ url, poolMax: 1, acquireTimeoutMs }));
  client.on('error', (err) => logger.warn({ err: { message: err.message } }, 'postgres migration connection failed'));
  try {
    await client.connect();
    // Bound every wait, the lock included, so a wedged migration elsewhere cannot hang start-up forever.
    await client.query("SET lock_timeout = '60s'");
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query(CREATE_TABLE);
      const done = (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version);
      const pending = pendingMigrations(all, done);
      for (const m of pending) {
        await client.query('BEGIN');
        try {
          for (const sql of m.statements) await client.query(sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
        logger.info({ version: m.version, name: m.name }, 'applied postgres migration');
      }
      return { applied: pending.map(({ version, name }) => ({ version, name })), version: latestVersion(all) };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    }
  } catch (err) {
    throw mapPgError(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Without migrating: how many migrations are pending; throws SchemaTooNewError if the database is ahead. */
export async function checkPgSchema(url: string, acquireTimeoutMs: number): Promise<{ pending: number; version: number }> {
  const all = migrationsFor('postgres');
  const client = new pg.Client(pgPoolConfig({ url, poolMax: 1, acquireTimeoutMs }));
  client.on('error', () => undefined);
  try {
    await client.connect();
    const exists = (await client.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")).rows[0] as { present: boolean };
    const done = exists.present
      ? (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version) : [];
    return { pending: pendingMigrations(all, done).length, version: latestVersion(all) };
  } catch (err) {
    throw mapPgError(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

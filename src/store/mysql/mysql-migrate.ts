import mysql from 'mysql2/promise';
import type { Logger } from '../../log/logger.js';
import { StoreBusyError } from '../../errors/index.js';
import { migrationsFor, pendingMigrations, latestVersion, type AppliedMigration } from '../migrations/index.js';
import { mapMysqlError } from './mysql-errors.js';
import { mysqlConnectionOptions } from './mysql-driver.js';

const LOCK_NAME = 'gatehouse_migrate';
const LOCK_WAIT_S = 60;

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;

/**
 * Applies pending MySQL migrations under GET_LOCK, so a second process waits, then finds nothing to do. MySQL
 * commits each DDL statement on its own, so a migration is not atomic: its statements are written to be rerun
 * safely (IF NOT EXISTS), and the version is recorded only after the last one.
 */
export async function migrateMysql(url: string, acquireTimeoutMs: number, logger: Logger): Promise<{ applied: AppliedMigration[]; version: number }> {
  const all = migrationsFor('mysql');
  let conn: mysql.Connection | undefined;
  try {
    conn = await mysql.createConnection(mysqlConnectionOptions(url, acquireTimeoutMs));
    conn.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'mysql migration connection failed'));
    const [lock] = await conn.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS got', [LOCK_NAME, LOCK_WAIT_S]);
    if (Number(lock[0]?.got) !== 1) throw new StoreBusyError(`mysql: another migration held ${LOCK_NAME} for ${LOCK_WAIT_S}s`);
    try {
      await conn.query(CREATE_TABLE);
      const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT version FROM schema_migrations');
      const pending = pendingMigrations(all, rows.map((r) => Number(r.version)));
      for (const m of pending) {
        for (const sql of m.statements) await runIdempotent(conn, sql);
        await conn.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
        logger.info({ version: m.version, name: m.name }, 'applied mysql migration');
      }
      return { applied: pending.map(({ version, name }) => ({ version, name })), version: latestVersion(all) };
    } finally {
      await conn.query('SELECT RELEASE_LOCK(?)', [LOCK_NAME]).catch(() => undefined);
    }
  } catch (err) {
    throw mapMysqlError(err);
  } finally {
    await conn?.end().catch(() => undefined);
  }
}

/** Without migrating: how many migrations are pending; throws SchemaTooNewError if the database is ahead. */
export async function checkMysqlSchema(url: string, acquireTimeoutMs: number): Promise<{ pending: number; version: number }> {
  const all = migrationsFor('mysql');
  let conn: mysql.Connection | undefined;
  try {
    conn = await mysql.createConnection(mysqlConnectionOptions(url, acquireTimeoutMs));
    conn.on('error', () => undefined);
    const [tables] = await conn.query<mysql.RowDataPacket[]>("SHOW TABLES LIKE 'schema_migrations'");
    const done = tables.length === 0 ? [] : (await conn.query<mysql.RowDataPacket[]>('SELECT version FROM schema_migrations'))[0].map((r) => Number(r.version));
    return { pending: pendingMigrations(all, done).length, version: latestVersion(all) };
  } catch (err) {
    throw mapMysqlError(err);
  } finally {
    await conn?.end().catch(() => undefined);
  }
}

/**
 * Runs one DDL statement; on a rerun after a crash mid-migration, "duplicate column" (1060) and "duplicate key
 * name" (1061) mean the statement already ran (MySQL 8 has no ADD COLUMN IF NOT EXISTS).
 */
async function runIdempotent(conn: mysql.Connection, sql: string): Promise<void> {
  try {
    await conn.query(sql);
  } catch (err) {
    const errno = (err as { errno?: unknown }).errno;
    if (errno === 1060 || errno === 1061) return;
    throw err;
  }
}

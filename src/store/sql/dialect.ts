import type { StoreDriver } from '../store.js';

/**
 * The few places where the three SQL dialects differ, as fragments. Everything else is portable SQL written
 * once in the repositories.
 */
export interface Dialect {
  /** `INSERT <prefix> INTO t (...) VALUES ... <suffix>` that skips rows whose key exists. */
  insertIgnore(table: string, columns: readonly string[], rows: number): string;
  /** Row locks for a claim; empty on SQLite, where the single writer already excludes everyone. */
  forUpdateSkipLocked: string;
  /** Upsert clause for the login-attempt counter (see settings-repo.ts). */
  upsertFailures: string;
  /** Row locks for a read that a check inside the same transaction depends on; empty on SQLite (one writer). */
  forUpdate: string;
  /**
   * Appends a change-feed row (kind, subject, at): on PostgreSQL the same statement also queues the NOTIFY that wakes
   * listening replicas at commit (one round trip, not two, while the change's row locks are held); elsewhere replicas
   * poll and it is a plain INSERT. `returnsRows`: run it with `all` (a SELECT), not `run`.
   */
  recordChange: { sql: string; returnsRows: boolean };
}

/** Builds `(?, ?, ?), (?, ?, ?)` for a multi-row insert. */
export function valuesList(columns: number, rows: number): string {
  const one = `(${new Array<string>(columns).fill('?').join(', ')})`;
  return new Array<string>(rows).fill(one).join(', ');
}

const INSERT_CHANGE = 'INSERT INTO change_feed (kind, subject, at) VALUES (?, ?, ?)';

const COUNTER_CASE = 'CASE WHEN login_attempts.window_start <= ? THEN 1 ELSE login_attempts.failures + 1 END';
const WINDOW_CASE = 'CASE WHEN login_attempts.window_start <= ? THEN ? ELSE login_attempts.window_start END';

/** The fragments for one driver. */
export function dialectFor(driver: StoreDriver): Dialect {
  switch (driver) {
    case 'sqlite':
      return {
        insertIgnore: (t, c, n) => `INSERT OR IGNORE INTO ${t} (${c.join(', ')}) VALUES ${valuesList(c.length, n)}`,
        forUpdateSkipLocked: '',
        forUpdate: '',
        upsertFailures: `ON CONFLICT (attempt_key) DO UPDATE SET failures = ${COUNTER_CASE}, window_start = ${WINDOW_CASE}, last_failure_at = ?`,
        recordChange: { sql: INSERT_CHANGE, returnsRows: false },
      };
    case 'postgres':
      return {
        insertIgnore: (t, c, n) => `INSERT INTO ${t} (${c.join(', ')}) VALUES ${valuesList(c.length, n)} ON CONFLICT DO NOTHING`,
        forUpdateSkipLocked: 'FOR UPDATE SKIP LOCKED',
        forUpdate: 'FOR UPDATE',
        upsertFailures: `ON CONFLICT (attempt_key) DO UPDATE SET failures = ${COUNTER_CASE}, window_start = ${WINDOW_CASE}, last_failure_at = ?`,
        recordChange: {
          sql: `WITH c AS (${INSERT_CHANGE} RETURNING seq) SELECT pg_notify('gatehouse_changes', '') FROM c`, returnsRows: true,
        },
      };
    case 'mysql':
      return {
        // INSERT IGNORE reports only the rows really inserted, which insert() returns; ON DUPLICATE KEY UPDATE
        // id = id would count duplicates as affected under CLIENT_FOUND_ROWS.
        insertIgnore: (t, c, n) => `INSERT IGNORE INTO ${t} (${c.join(', ')}) VALUES ${valuesList(c.length, n)}`,
        forUpdateSkipLocked: 'FOR UPDATE SKIP LOCKED',
        forUpdate: 'FOR UPDATE',
        // MySQL evaluates the assignments left to right: failures is computed from the old window_start first.
        upsertFailures: `ON DUPLICATE KEY UPDATE failures = ${COUNTER_CASE}, window_start = ${WINDOW_CASE}, last_failure_at = ?`,
        recordChange: { sql: INSERT_CHANGE, returnsRows: false },
      };
  }
}

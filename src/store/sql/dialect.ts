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
  /** Statement that wakes listening replicas at commit (PostgreSQL NOTIFY); null where replicas poll. */
  notifyChange: string | null;
}

/** Builds `(?, ?, ?), (?, ?, ?)` for a multi-row insert. */
export function valuesList(columns: number, rows: number): string {
  const one = `(${new Array<string>(columns).fill('?').join(', ')})`;
  return new Array<string>(rows).fill(one).join(', ');
}

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
        notifyChange: null,
      };
    case 'postgres':
      return {
        insertIgnore: (t, c, n) => `INSERT INTO ${t} (${c.join(', ')}) VALUES ${valuesList(c.length, n)} ON CONFLICT DO NOTHING`,
        forUpdateSkipLocked: 'FOR UPDATE SKIP LOCKED',
        forUpdate: 'FOR UPDATE',
        upsertFailures: `ON CONFLICT (attempt_key) DO UPDATE SET failures = ${COUNTER_CASE}, window_start = ${WINDOW_CASE}, last_failure_at = ?`,
        notifyChange: "SELECT pg_notify('gatehouse_changes', '')",
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
        notifyChange: null,
      };
  }
}

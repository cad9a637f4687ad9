import type Database from 'better-sqlite3';
import { migrationsFor, pendingMigrations, latestVersion, type AppliedMigration } from '../migrations/index.js';

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL
) STRICT`;

/**
 * Applies pending migrations in one BEGIN IMMEDIATE transaction. SQLite DDL is transactional and IMMEDIATE takes
 * the write lock first, so a second process waits (busy timeout), then finds nothing left to do.
 * Throws SchemaTooNewError (after rolling back) when the database is ahead of the code.
 */
export function migrateSqlite(db: Database.Database): { applied: AppliedMigration[]; version: number } {
  const all = migrationsFor('sqlite');
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(CREATE_TABLE);
    const done = db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[];
    const pending = pendingMigrations(all, done);
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of pending) {
      for (const sql of m.statements) db.exec(sql);
      record.run(m.version, m.name, Date.now());
    }
    db.exec('COMMIT');
    return { applied: pending.map(({ version, name }) => ({ version, name })), version: latestVersion(all) };
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

/** Without migrating: how many migrations are pending; throws SchemaTooNewError if the database is ahead. */
export function checkSqliteSchema(db: Database.Database): { pending: number; version: number } {
  const all = migrationsFor('sqlite');
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  const done = exists ? db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[] : [];
  return { pending: pendingMigrations(all, done).length, version: latestVersion(all) };
}

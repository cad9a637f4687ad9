import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SchemaTooNewError } from '../../errors/index.js';
import type { WireError } from './writer-protocol.js';

/**
 * Opens a connection with the pragmas every Gatehouse connection needs: WAL (readers never wait for the writer),
 * synchronous=NORMAL (durable at checkpoints, safe from corruption; the WAL default recommended by SQLite),
 * foreign keys on, and the busy timeout.
 */
export function openSqlite(path: string, busyTimeoutMs: number, options: { readonly?: boolean } = {}): Database.Database {
  if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false, timeout: busyTimeoutMs });
  if (!options.readonly) db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  return db;
}

/** Reduces any thrown value to a WireError (SQLite errors keep their SQLITE_* code). */
export function toWireError(err: unknown): WireError {
  if (err instanceof SchemaTooNewError) {
    const m = /version (\d+) .*\((\d+)\)/.exec(err.message);
    return { code: err.code, message: err.message, schema: { database: Number(m?.[1] ?? 0), code: Number(m?.[2] ?? 0) } };
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : 'UNKNOWN', message: err.message };
  }
  return { code: 'UNKNOWN', message: String(err) };
}

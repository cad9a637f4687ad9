import {
  ConflictError, GatehouseError, NotFoundError, SchemaTooNewError, StoreBusyError, StoreDownError,
} from '../../errors/index.js';
import { conflictField } from '../store-errors.js';
import type { WireError } from './writer-protocol.js';

// The database's directory cannot be created or used (mkdir before the first open): a path under a file, a
// read-only or full filesystem, no permission.
const FILESYSTEM_CODES = new Set(['EEXIST', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'ENOENT', 'ENOSPC', 'EISDIR']);

/** Maps a SQLite error (as it crossed the thread boundary) to the store's typed errors. */
export function mapSqliteError(e: WireError): GatehouseError {
  if (e.schema) return new SchemaTooNewError(e.schema.database, e.schema.code);
  if (e.code.startsWith('GATE_ERR_')) return new GatehouseError(e.code as GatehouseError['code'], e.message);
  if (e.code === 'SQLITE_BUSY' || e.code.startsWith('SQLITE_BUSY_') || e.code === 'SQLITE_LOCKED' || e.code === 'GATE_BUSY') {
    return new StoreBusyError(`sqlite: ${e.message}`);
  }
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // "UNIQUE constraint failed: users.email_lower"
    return new ConflictError(conflictField(e.message));
  }
  if (e.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return new NotFoundError('referenced row');
  // The file cannot be opened, read or written: a disk that is full, gone or remounted read-only (SQLITE_READONLY
  // is what a read-only filesystem gives a write), a damaged file. Retrying now fails the same way.
  if (e.code.startsWith('SQLITE_CANTOPEN') || e.code.startsWith('SQLITE_IOERR') || e.code === 'SQLITE_FULL' ||
    e.code.startsWith('SQLITE_READONLY') || e.code.startsWith('SQLITE_CORRUPT') || e.code === 'SQLITE_NOTADB' || e.code === 'GATE_DOWN' ||
    FILESYSTEM_CODES.has(e.code)) {
    return new StoreDownError(`sqlite: ${e.message}`);
  }
  return new GatehouseError('GATE_ERR_INTERNAL', 'storage error', { detail: `sqlite ${e.code}: ${e.message}` });
}

/** Maps an error thrown by a main-thread (reader) connection. */
export function mapSqliteThrown(err: unknown): GatehouseError {
  if (err instanceof GatehouseError) return err;
  const raw = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  const code = typeof raw === 'string' ? raw : 'UNKNOWN';
  return mapSqliteError({ code, message: err instanceof Error ? err.message : String(err) });
}

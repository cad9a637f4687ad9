import {
  ConflictError, GatehouseError, NotFoundError, StoreBusyError, StoreDownError,
} from '../../errors/index.js';
import { conflictField, storeInternal } from '../store-errors.js';

const DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

/** Maps a node-postgres error to the store's typed errors (SQLSTATE codes: PostgreSQL appendix A). */
export function mapPgError(err: unknown): GatehouseError {
  if (err instanceof GatehouseError) return err;
  const e = err as { code?: unknown; constraint?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (code === '23505') return new ConflictError(conflictField(typeof e.constraint === 'string' ? e.constraint : message), undefined, err);
  if (code === '23503') return new NotFoundError('referenced row', err);
  // serialization failure, deadlock, lock timeout, statement timeout / cancel, too many connections
  if (code === '40001' || code === '40P01' || code === '55P03' || code === '57014' || code === '53300') {
    return new StoreBusyError(`postgres ${code}: ${message}`, err);
  }
  // connection exceptions (08xxx), admin/crash shutdown, cannot connect now, and socket-level failures
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || DOWN_CODES.has(code) ||
    /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(message)) {
    return new StoreDownError(`postgres: ${message}`, err);
  }
  // pg.Pool's own acquire timeout: every connection is busy.
  if (/timeout exceeded when trying to connect/i.test(message)) return new StoreBusyError(`postgres pool: ${message}`, err);
  return storeInternal(err);
}

import {
  ConflictError, GatehouseError, NotFoundError, StoreBusyError, StoreDownError,
} from '../../errors/index.js';
import { conflictField, storeInternal } from '../store-errors.js';

const DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

/**
 * SQLSTATEs (PostgreSQL appendix A) that mean "the database is not there for us": every one of them fails the
 * same way however often it is retried right now, and none is the caller's fault.
 *  - class 08 connection exceptions; 57P01 admin shutdown (pg_terminate_backend, a fast shutdown); 57P02 crash
 *    shutdown; 57P03 cannot connect now (starting up, recovery); 57P04 database dropped
 *  - 53300 too many connections, 53400 configuration limit exceeded: the server refuses new sessions
 *  - 55000 on connect: "database ... is not currently accepting connections" (ALTER DATABASE ... ALLOW_CONNECTIONS
 *    false, as during maintenance); 55000 otherwise is an ordinary statement error and stays internal
 *  - 3D000 the database does not exist; 28000/28P01 the login is refused (a rotated password): nothing works
 *  - 25006 read-only transaction: we reached a standby (a failover in progress), so no primary is there
 */
const DOWN_SQLSTATES = new Set(['57P01', '57P02', '57P03', '57P04', '53300', '53400', '3D000', '28000', '28P01', '25006']);
// node-postgres's own words for a connection that ended or never came up (client.js, pg-pool): "Connection
// terminated unexpectedly", "... due to connection timeout", "Query read timeout" (storage.postgres.query_timeout),
// "Client has encountered a connection error and is not queryable", "Client was closed and is not queryable".
const DOWN_MESSAGES = /Connection terminated|connection timeout|Query read timeout|Client has encountered a connection error|not queryable|not currently accepting connections/i;

/** Maps a node-postgres error to the store's typed errors (SQLSTATE codes: PostgreSQL appendix A). */
export function mapPgError(err: unknown): GatehouseError {
  if (err instanceof GatehouseError) return err;
  const e = err as { code?: unknown; constraint?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (code === '23505') return new ConflictError(conflictField(typeof e.constraint === 'string' ? e.constraint : message), undefined, err);
  if (code === '23503') return new NotFoundError('referenced row', err);
  if (code.startsWith('08') || DOWN_SQLSTATES.has(code) || DOWN_CODES.has(code) || DOWN_MESSAGES.test(message)) {
    return new StoreDownError(`postgres${code === '' ? '' : ` ${code}`}: ${message}`, err);
  }
  // serialization failure, deadlock, lock timeout, statement timeout / cancel: the database is there, but busy
  if (code === '40001' || code === '40P01' || code === '55P03' || code === '57014') {
    return new StoreBusyError(`postgres ${code}: ${message}`, err);
  }
  // pg.Pool's own acquire timeout: every connection of the pool is in use.
  if (/timeout exceeded when trying to connect/i.test(message)) return new StoreBusyError(`postgres pool: ${message}`, err);
  return storeInternal(err);
}

import {
  ConflictError, GatehouseError, NotFoundError, StoreBusyError, StoreDownError,
} from '../../errors/index.js';
import { conflictField, storeInternal } from '../store-errors.js';

const DOWN_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_SERVER_SHUTDOWN', 'ER_CON_COUNT_ERROR_DOWN',
]);

/** Maps a mysql2 error to the store's typed errors (server error numbers: MySQL reference, "Server Error Message Reference"). */
export function mapMysqlError(err: unknown): GatehouseError {
  if (err instanceof GatehouseError) return err;
  const e = err as { code?: unknown; errno?: unknown; message?: unknown; fatal?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const errno = typeof e.errno === 'number' ? e.errno : 0;
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (errno === 1062) {
    // "Duplicate entry 'a@b' for key 'users_email_key'" (MySQL 8 writes 'users.users_email_key')
    const key = /for key '([^']+)'/.exec(message)?.[1] ?? message;
    return new ConflictError(conflictField(key), undefined, err);
  }
  if (errno === 1452 || errno === 1216) return new NotFoundError('referenced row', err);
  // deadlock, lock wait timeout, too many connections, and mysql2's own pool queue limit
  if (errno === 1213 || errno === 1205 || errno === 1040 || /Queue limit reached/i.test(message)) {
    return new StoreBusyError(`mysql ${errno || code}: ${message}`, err);
  }
  if (DOWN_CODES.has(code) || errno === 1053 || errno === 2002 || errno === 2003 || errno === 2006 || errno === 2013 ||
    e.fatal === true || /Pool is closed|connection is in closed state|Can't add new command when connection is in closed state/i.test(message)) {
    return new StoreDownError(`mysql: ${message}`, err);
  }
  return storeInternal(err);
}

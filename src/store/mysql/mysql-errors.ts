import {
  ConflictError, GatehouseError, NotFoundError, StoreBusyError, StoreDownError,
} from '../../errors/index.js';
import { conflictField, storeInternal } from '../store-errors.js';

const DOWN_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_SERVER_SHUTDOWN', 'ER_CON_COUNT_ERROR_DOWN',
]);

/**
 * Server error numbers (MySQL "Server Error Message Reference", MariaDB error codes) that mean "the database is not
 * there for us":
 *  - 1040 too many connections, 1203/1226 too many connections for this user: the server refuses new sessions
 *  - 1053 server shutdown in progress; 1927 connection killed (MariaDB, KILL); 4031 disconnected for inactivity (MySQL 8)
 *  - 1044/1045 access denied, 1049 unknown database, 1129/1130 host blocked or not allowed: nothing works until fixed
 *  - 1290 (--read-only) and 1836 (read-only mode): we reached a replica (a failover in progress), no primary is there
 *  - 2002/2003/2005/2006/2013/2055: client-side "cannot connect", "server has gone away", "lost connection"
 */
const DOWN_ERRNOS = new Set([1040, 1203, 1226, 1053, 1927, 4031, 1044, 1045, 1049, 1129, 1130, 1290, 1836, 2002, 2003, 2005, 2006, 2013, 2055]);
// mysql2's own words for a pool or connection that has ended, and the connect / query timeouts it raises.
const DOWN_MESSAGES = /Pool is closed|connection is in closed state|Can't add new command when connection is in closed state|connect ETIMEDOUT|Query inactivity timeout/i;

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
  if (DOWN_CODES.has(code) || DOWN_ERRNOS.has(errno) || e.fatal === true || DOWN_MESSAGES.test(message)) {
    return new StoreDownError(`mysql${errno ? ` ${errno}` : code ? ` ${code}` : ''}: ${message}`, err);
  }
  // deadlock, lock wait timeout, and mysql2's own pool queue limit: the database is there, but busy
  if (errno === 1213 || errno === 1205 || /Queue limit reached/i.test(message)) {
    return new StoreBusyError(`mysql ${errno || code}: ${message}`, err);
  }
  return storeInternal(err);
}

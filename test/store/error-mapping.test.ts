// Each driver's error words, mapped to the store's typed errors. The outages a test can cause for real are in
// store-down.test.ts; this table adds the codes a test cannot cause on one machine (a crash shutdown, a server
// starting up, a standby, a corrupt file) so each stays mapped: StoreDown and StoreBusy answer 503 with
// Retry-After, anything else unknown is an internal error (500) and names itself in the log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapPgError } from '../../src/store/postgres/pg-errors.js';
import { mapMysqlError } from '../../src/store/mysql/mysql-errors.js';
import { mapSqliteError } from '../../src/store/sqlite/sqlite-errors.js';
import { OutageLatch } from '../../src/store/store-errors.js';
import { StoreBusyError, StoreDownError } from '../../src/errors/index.js';

type Kind = 'down' | 'busy' | 'internal';
const kindOf = (e: { code: string }): Kind =>
  e.code === 'GATE_ERR_STORE_DOWN' ? 'down' : e.code === 'GATE_ERR_STORE_BUSY' ? 'busy' : e.code === 'GATE_ERR_INTERNAL' ? 'internal' : (() => { throw new Error(e.code); })();
const err = (fields: Record<string, unknown>): Error => Object.assign(new Error(String(fields['message'] ?? 'x')), fields);

test('PostgreSQL: every "not there" SQLSTATE and client error is StoreDown; contention is StoreBusy', () => {
  const table: [Record<string, unknown>, Kind][] = [
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }, 'down'],
    [{ code: 'ECONNRESET', message: 'read ECONNRESET' }, 'down'],
    [{ code: '08006', message: 'connection failure' }, 'down'],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }, 'down'],
    [{ code: '57P02', message: 'terminating connection because of crash of another server process' }, 'down'],
    [{ code: '57P03', message: 'the database system is starting up' }, 'down'],
    [{ code: '57P04', message: 'database dropped' }, 'down'],
    [{ code: '55000', message: 'database "gatehouse" is not currently accepting connections' }, 'down'],
    [{ code: '53300', message: 'sorry, too many clients already' }, 'down'],
    [{ code: '53400', message: 'configuration limit exceeded' }, 'down'],
    [{ code: '3D000', message: 'database "gatehouse" does not exist' }, 'down'],
    [{ code: '28P01', message: 'password authentication failed for user "gatehouse"' }, 'down'],
    [{ code: '25006', message: 'cannot execute INSERT in a read-only transaction' }, 'down'],
    [{ message: 'Connection terminated unexpectedly' }, 'down'],
    [{ message: 'Connection terminated due to connection timeout' }, 'down'],
    [{ message: 'Query read timeout' }, 'down'],
    [{ message: 'Client has encountered a connection error and is not queryable' }, 'down'],
    [{ code: '40001', message: 'could not serialize access' }, 'busy'],
    [{ code: '40P01', message: 'deadlock detected' }, 'busy'],
    [{ code: '55P03', message: 'could not obtain lock' }, 'busy'],
    [{ code: '57014', message: 'canceling statement due to statement timeout' }, 'busy'],
    [{ message: 'timeout exceeded when trying to connect' }, 'busy'],
    [{ code: '55000', message: 'cannot ALTER TABLE because it is being used' }, 'internal'],
    [{ code: '42P01', message: 'relation "x" does not exist' }, 'internal'],
  ];
  for (const [fields, want] of table) assert.equal(kindOf(mapPgError(err(fields))), want, JSON.stringify(fields));
});

test('MySQL/MariaDB: every "not there" error number and client error is StoreDown; contention is StoreBusy', () => {
  const table: [Record<string, unknown>, Kind][] = [
    [{ code: 'ECONNREFUSED' }, 'down'],
    [{ code: 'PROTOCOL_CONNECTION_LOST', fatal: true, message: 'Connection lost: The server closed the connection.' }, 'down'],
    [{ code: 'PROTOCOL_SEQUENCE_TIMEOUT', message: 'Query inactivity timeout' }, 'down'],
    [{ code: 'ETIMEDOUT', message: 'connect ETIMEDOUT' }, 'down'],
    [{ errno: 1040, code: 'ER_CON_COUNT_ERROR', message: 'Too many connections' }, 'down'],
    [{ errno: 1203, message: "User gh already has more than 'max_user_connections' active connections" }, 'down'],
    [{ errno: 1226, message: "User 'gh' has exceeded the 'max_user_connections' resource" }, 'down'],
    [{ errno: 1053, message: 'Server shutdown in progress' }, 'down'],
    [{ errno: 1927, message: 'Connection was killed' }, 'down'],
    [{ errno: 4031, message: 'The client was disconnected by the server because of inactivity' }, 'down'],
    [{ errno: 1045, message: "Access denied for user 'gh'@'127.0.0.1'" }, 'down'],
    [{ errno: 1049, message: "Unknown database 'gatehouse'" }, 'down'],
    [{ errno: 1290, message: 'The MariaDB server is running with the --read-only option' }, 'down'],
    [{ errno: 1836, message: 'Running in read-only mode' }, 'down'],
    [{ errno: 2013, message: 'Lost connection to server during query' }, 'down'],
    [{ message: 'Pool is closed.' }, 'down'],
    [{ errno: 1213, message: 'Deadlock found' }, 'busy'],
    [{ errno: 1205, message: 'Lock wait timeout exceeded' }, 'busy'],
    [{ message: 'Queue limit reached.' }, 'busy'],
    [{ errno: 1064, message: 'You have an error in your SQL syntax' }, 'internal'],
  ];
  for (const [fields, want] of table) assert.equal(kindOf(mapMysqlError(err(fields))), want, JSON.stringify(fields));
});

test('SQLite: lock contention is StoreBusy; a file that cannot be opened, read or written is StoreDown', () => {
  const table: [string, Kind][] = [
    ['SQLITE_BUSY', 'busy'], ['SQLITE_BUSY_SNAPSHOT', 'busy'], ['SQLITE_LOCKED', 'busy'],
    ['SQLITE_IOERR', 'down'], ['SQLITE_IOERR_WRITE', 'down'], ['SQLITE_IOERR_FSYNC', 'down'], ['SQLITE_FULL', 'down'],
    ['SQLITE_READONLY', 'down'], ['SQLITE_READONLY_DBMOVED', 'down'], ['SQLITE_CANTOPEN', 'down'],
    ['SQLITE_CANTOPEN_ISDIR', 'down'], ['SQLITE_CORRUPT', 'down'], ['SQLITE_NOTADB', 'down'],
    ['ENOTDIR', 'down'], ['EACCES', 'down'], ['EROFS', 'down'], ['EEXIST', 'down'],
    ['SQLITE_ERROR', 'internal'], ['SQLITE_MISMATCH', 'internal'],
  ];
  for (const [code, want] of table) assert.equal(kindOf(mapSqliteError({ code, message: code })), want, code);
});

test('StoreDown and StoreBusy answer 503 with Retry-After; the latch reports a pool wait during an outage as StoreDown', () => {
  for (const e of [new StoreDownError('x'), new StoreBusyError('y')]) {
    assert.equal(e.status, 503);
    assert.ok((e.retryAfterSeconds ?? 0) >= 1);
    assert.equal(e.retryable, true);
  }
  const latch = new OutageLatch();
  const wait = new StoreBusyError('pool wait');
  assert.equal(latch.seen(wait, true), wait, 'a pool wait with no outage seen is contention');
  latch.seen(new StoreDownError('connect ECONNREFUSED'));
  assert.ok(latch.seen(new StoreBusyError('pool wait'), true) instanceof StoreDownError, 'behind an outage it is the outage');
  const serverBusy = new StoreBusyError('deadlock');
  assert.equal(latch.seen(serverBusy), serverBusy, 'an answer from the server is not an outage');
  assert.equal(latch.seen(wait, true), wait, 'and it cleared the latch');
});

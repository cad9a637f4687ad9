import mysql from 'mysql2/promise';
import type { Logger } from '../../log/logger.js';
import { StoreBusyError, StoreDownError } from '../../errors/index.js';
import type { Queryable, SqlDriver, SqlRow, SqlValue } from '../sql/queryable.js';
import { OutageLatch, withTimeout } from '../store-errors.js';
import { mapMysqlError } from './mysql-errors.js';

/** Settings for the MySQL/MariaDB driver. */
export interface MysqlDriverOptions {
  url: string;
  poolMax: number;
  acquireTimeoutMs: number;
  /** Longest wait for one statement's answer; past it the connection is dropped and the call fails with StoreDown. */
  queryTimeoutMs?: number;
  logger: Logger;
}

/** The mysql2 options shared by the pool and the migration connection. */
export function mysqlConnectionOptions(url: string, acquireTimeoutMs: number): mysql.ConnectionOptions {
  return {
    uri: url,
    charset: 'utf8mb4',
    connectTimeout: acquireTimeoutMs,
    // BIGINT epoch ms must come back as exact numbers: big numbers are supported, and returned as numbers while
    // they are safe integers (all epoch ms are); strings only beyond 2^53, which we never store.
    supportBigNumbers: true,
    bigNumberStrings: false,
    dateStrings: true,
    enableKeepAlive: true,
  };
}

type Conn = mysql.PoolConnection;

/** MySQL/MariaDB over a bounded mysql2 pool. */
export function openMysqlDriver(options: MysqlDriverOptions): SqlDriver {
  const pool = mysql.createPool({
    ...mysqlConnectionOptions(options.url, options.acquireTimeoutMs),
    connectionLimit: options.poolMax,
    // mysql2 would queue waiters without bound; cap the queue, and bound each wait with the timeout below.
    queueLimit: options.poolMax * 50,
    waitForConnections: true,
    maxIdle: options.poolMax,
    idleTimeout: 60_000,
  });
  // Connections handed out and not yet returned. When an acquire times out with fewer than pool_max of them out,
  // the pool was opening a connection that did not come up in time: the server is not answering (StoreDown), not
  // merely busy (every connection in use: StoreBusy).
  let held = 0;
  let waiting = 0;
  const latch = new OutageLatch();
  const acquire = async (): Promise<Conn> => {
    waiting++;
    try {
      const conn = await withTimeout(pool.getConnection(), options.acquireTimeoutMs,
        () => held < options.poolMax
          ? new StoreDownError(`mysql: no connection could be opened within ${options.acquireTimeoutMs} ms`)
          : new StoreBusyError(`mysql: no connection free within ${options.acquireTimeoutMs} ms`),
        (late) => late.release());
      held++;
      return conn;
    } catch (err) {
      throw latch.seen(mapMysqlError(err), err instanceof StoreBusyError);
    } finally {
      waiting--;
    }
  };
  // mysql2 keeps its open connections in the core pool's _allConnections (no public count); read defensively.
  const openConnections = (): number => {
    const all = (pool as unknown as { pool?: { _allConnections?: { length?: unknown } } }).pool?._allConnections?.length;
    return typeof all === 'number' ? all : held;
  };
  const exec = async (conn: Conn, sql: string, params: readonly SqlValue[]): Promise<unknown> => {
    try {
      // query (client-side escaping) rather than execute: no per-statement prepare round trip, and LIMIT ? works.
      // The timeout bounds a server that stops answering (mysql2 has none by default): PROTOCOL_SEQUENCE_TIMEOUT.
      const [result] = await conn.query({ sql, ...(options.queryTimeoutMs === undefined ? {} : { timeout: options.queryTimeoutMs }) }, params as SqlValue[]);
      latch.answered();
      return result;
    } catch (err) {
      throw latch.seen(mapMysqlError(err));
    }
  };
  const on = (conn: Conn): Queryable => {
    const q: Queryable = {
      all: async <T extends SqlRow>(sql: string, params: readonly SqlValue[] = []) => await exec(conn, sql, params) as T[],
      run: async (sql, params = []) => (await exec(conn, sql, params) as mysql.ResultSetHeader).affectedRows,
      runMany: async (sql, sets) => {
        let n = 0;
        for (const p of sets) n += await q.run(sql, p);
        return n;
      },
    };
    return q;
  };
  // One statement on a pooled connection; a connection that failed is destroyed, not returned to the pool.
  const withConn = async <T>(fn: (conn: Conn) => Promise<T>): Promise<T> => {
    const conn = await acquire();
    try {
      const value = await fn(conn);
      conn.release();
      return value;
    } catch (err) {
      if (err instanceof StoreDownError) conn.destroy();
      else conn.release();
      throw err;
    } finally {
      held--;
    }
  };
  const transaction = async <T>(fn: (q: Queryable) => Promise<T>): Promise<T> => withConn(async (conn) => {
    await exec(conn, 'START TRANSACTION', []);
    try {
      const value = await fn(on(conn));
      await exec(conn, 'COMMIT', []);
      return value;
    } catch (err) {
      await exec(conn, 'ROLLBACK', []).catch(() => undefined);
      throw err;
    }
  });
  return {
    dialect: 'mysql',
    all: async <T extends SqlRow>(sql: string, params: readonly SqlValue[] = []) => {
      try {
        return await withConn((c) => on(c).all<T>(sql, params));
      } catch (err) {
        // A pooled connection the server closed while idle fails on first use; a read is safe to retry once.
        // When the retry only finds the pool busy, the first answer (the database went away) is the truer one.
        if (!(err instanceof StoreDownError)) throw err;
        try {
          return await withConn((c) => on(c).all<T>(sql, params));
        } catch (retryErr) {
          throw retryErr instanceof StoreBusyError ? err : retryErr;
        }
      }
    },
    run: (sql, params = []) => withConn((c) => on(c).run(sql, params)),
    runMany: (sql, sets) => sets.length === 0 ? Promise.resolve(0) : transaction((q) => q.runMany(sql, sets)),
    transaction,
    async ping(): Promise<void> {
      await withConn((c) => exec(c, 'SELECT 1', []));
    },
    async close(): Promise<void> {
      await pool.end();
    },
    poolStats: () => ({ max: options.poolMax, open: openConnections(), inUse: held, waiting }),
  };
}

import pg from 'pg';
import type { Logger } from '../../log/logger.js';
import type { Queryable, SqlDriver, SqlRow, SqlValue } from '../sql/queryable.js';
import { mapPgError } from './pg-errors.js';
import { OutageLatch } from '../store-errors.js';
import type { GatehouseError } from '../../errors/index.js';

/** Settings for the PostgreSQL driver. */
export interface PgDriverOptions {
  url: string;
  poolMax: number;
  acquireTimeoutMs: number;
  /** Longest wait for one statement's answer; past it the connection is dropped and the call fails with StoreDown. */
  queryTimeoutMs?: number;
  logger: Logger;
}

const INT8_OID = 20;

/** Rewrites `?` placeholders to `$1, $2...` (our SQL never has `?` inside a literal). Cached per statement text. */
function numberPlaceholders(cache: Map<string, string>, sql: string): string {
  let out = cache.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    if (cache.size > 2000) cache.clear();
    cache.set(sql, out);
  }
  return out;
}

/** The pg.Pool settings for a config: bounded size, acquire timeout, BIGINT parsed as a number. */
export function pgPoolConfig(options: Pick<PgDriverOptions, 'url' | 'poolMax' | 'acquireTimeoutMs' | 'queryTimeoutMs'>): pg.PoolConfig {
  return {
    // A server that stops answering (a network partition, a frozen host) would otherwise hold a request forever:
    // node-postgres has no read timeout unless asked. pg.Pool destroys a client whose query failed this way.
    ...(options.queryTimeoutMs === undefined ? {} : { query_timeout: options.queryTimeoutMs }),
    connectionString: options.url,
    max: options.poolMax,
    // Bounds the wait for a free connection (and a new connection's handshake): StoreBusy after it.
    connectionTimeoutMillis: options.acquireTimeoutMs,
    idleTimeoutMillis: 30_000,
    // BIGINT columns hold epoch ms (< 2^53), and COUNT(*) is BIGINT: parse both as numbers. Set per pool, not
    // with pg.types.setTypeParser, so nothing global changes.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
    },
  };
}

/** PostgreSQL over a bounded pg.Pool. */
export function openPgDriver(options: PgDriverOptions): SqlDriver {
  const pool = new pg.Pool(pgPoolConfig(options));
  // An idle client whose server went away emits 'error' on the pool; unhandled, that would kill the process.
  // The pool drops the client; the next query opens a fresh one once the database is back.
  pool.on('error', (err) => options.logger.warn({ err: { message: err.message } }, 'postgres idle connection failed'));
  const sqlCache = new Map<string, string>();
  const latch = new OutageLatch();
  // pg.Pool's wait for a free client times out with this message (pg-pool); everything else came from a connection.
  const mapped = (err: unknown): GatehouseError =>
    latch.seen(mapPgError(err), err instanceof Error && /timeout exceeded when trying to connect/i.test(err.message));
  const on = (client: pg.Pool | pg.PoolClient): Queryable => {
    const q: Queryable = {
    all: async <T extends SqlRow>(sql: string, params: readonly SqlValue[] = []) => {
      try {
        const rows = (await client.query(numberPlaceholders(sqlCache, sql), params as SqlValue[])).rows as T[];
        latch.answered();
        return rows;
      } catch (err) {
        throw mapped(err);
      }
    },
    run: async (sql: string, params: readonly SqlValue[] = []) => {
      try {
        const count = (await client.query(numberPlaceholders(sqlCache, sql), params as SqlValue[])).rowCount ?? 0;
        latch.answered();
        return count;
      } catch (err) {
        throw mapped(err);
      }
    },
    // Inside a transaction (one client): the statements one after another.
    runMany: async (sql, sets) => {
      let n = 0;
      for (const p of sets) n += await q.run(sql, p);
      return n;
    },
    };
    return q;
  };
  const root = on(pool);

  const transaction = async <T>(fn: (q: Queryable) => Promise<T>): Promise<T> => {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw mapped(err);
    }
    let broken: Error | undefined;
    // pg.Pool listens for 'error' only on idle clients. A checked-out client whose server ends the connection
    // between two statements (pg_terminate_backend, a failover) emits 'error' with no listener, which would
    // crash the process; here it marks the client broken, and its next statement fails with StoreDown.
    const onError = (err: Error): void => { broken = err; };
    client.on('error', onError);
    const q = on(client);
    try {
      await q.run('BEGIN');
      const value = await fn(q);
      await q.run('COMMIT');
      return value;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        // The connection is unusable (the server went away): destroy it rather than return it to the pool.
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
      }
      // Statement errors are already mapped; anything else is the caller's own error and passes through.
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  };

  return {
    dialect: 'postgres',
    all: root.all,
    run: root.run,
    runMany: (sql, sets) => sets.length === 0 ? Promise.resolve(0) : transaction((q) => q.runMany(sql, sets)),
    transaction,
    async ping(): Promise<void> {
      await root.all('SELECT 1');
    },
    async close(): Promise<void> {
      await pool.end();
    },
    poolStats: () => ({ max: options.poolMax, open: pool.totalCount, inUse: pool.totalCount - pool.idleCount, waiting: pool.waitingCount }),
  };
}

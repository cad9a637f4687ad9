import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { Logger } from '../../log/logger.js';
import { StoreBusyError, StoreDownError } from '../../errors/index.js';
import type { PerformCall, Queryable, SqlDriver, SqlRow, SqlValue } from '../sql/queryable.js';
import type { ErrorClass } from '../transaction-op.js';
import { fromWireThrown } from './thrown.js';
import { openSqlite } from './connection.js';
import { mapSqliteError, mapSqliteThrown } from './sqlite-errors.js';
import type { WriterHello, WriterInit, WriterRequest, WriterResponse } from './writer-protocol.js';

/** Settings for the SQLite driver. */
export interface SqliteDriverOptions {
  path: string;
  busyTimeoutMs: number;
  migrate: boolean;
  logger: Logger;
  /** Most writes that may wait for the writer thread at once; past it writes fail with StoreBusy at once. */
  maxQueuedWrites?: number;
}

// Reads of the main-thread connection wait at most this long for a lock. In WAL mode readers do not take the
// write lock; they can only meet SQLITE_BUSY while another connection runs WAL recovery (after a crash), so the
// wait is rare and short, and this caps how long it may block the event loop.
const READ_BUSY_TIMEOUT_MS = 100;
const READ_CACHE_MAX = 500;

type Pending = { resolve: (r: WriterResponse & { ok: true }) => void; reject: (e: Error) => void; errors: readonly ErrorClass[] };
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * SQLite with one writer thread and a main-thread reader connection. Writes are messages to the writer, which
 * runs each as a BEGIN IMMEDIATE transaction; reads are synchronous on the main thread (a primary-key read
 * costs a few microseconds, cheaper than a message round trip), except inside a transaction, where they go to
 * the writer so they see the transaction's own writes.
 */
export async function openSqliteDriver(options: SqliteDriverOptions): Promise<SqlDriver & { migrated: WriterHello }> {
  const init: WriterInit = { path: options.path, busyTimeoutMs: options.busyTimeoutMs, migrate: options.migrate };
  const worker = new Worker(new URL('./writer-worker.js', import.meta.url), { workerData: init });
  const hello = await new Promise<WriterHello>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  }).catch((err: unknown) => { void worker.terminate(); throw new StoreDownError(`sqlite writer failed to start: ${String(err)}`, err); });
  if (hello.type === 'failed') {
    await worker.terminate();
    throw mapSqliteError(hello.error);
  }

  let reader: Database.Database;
  try {
    reader = openSqlite(options.path, READ_BUSY_TIMEOUT_MS, { readonly: true });
  } catch (err) {
    await worker.terminate();
    throw mapSqliteThrown(err);
  }
  const readCache = new Map<string, Database.Statement>();
  const read = (sql: string, params: readonly SqlValue[]): SqlRow[] => {
    try {
      let stmt = readCache.get(sql);
      if (!stmt) {
        if (readCache.size >= READ_CACHE_MAX) readCache.clear();
        stmt = reader.prepare(sql);
        readCache.set(sql, stmt);
      }
      return stmt.all(...params) as SqlRow[];
    } catch (err) {
      throw mapSqliteThrown(err);
    }
  };

  // ---- the writer channel ----
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let down: StoreDownError | null = null;
  let closeRequested = false;
  const fail = (err: StoreDownError): void => {
    if (down) return;
    down = err;
    // The writer exits by itself after a requested close, sometimes before close() marks the store closed.
    if (!closeRequested) options.logger.error({ err }, 'sqlite writer thread stopped; writes fail until restart');
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('message', (res: WriterResponse) => {
    const p = pending.get(res.id);
    if (!p) return;
    pending.delete(res.id);
    if (res.ok) p.resolve(res);
    else p.reject(res.thrown ? fromWireThrown(res.thrown, p.errors) : mapSqliteError(res.error));
  });
  worker.on('error', (err) => fail(new StoreDownError(`sqlite writer crashed: ${err.message}`, err)));
  worker.on('exit', (code) => fail(new StoreDownError(`sqlite writer exited (${code})`)));

  let messages = 0;
  let transactions = 0;
  const call = (req: DistributiveOmit<WriterRequest, 'id'>, errors: readonly ErrorClass[] = []): Promise<WriterResponse & { ok: true }> => {
    if (down) return Promise.reject(down);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      try {
        worker.postMessage({ ...req, id } as WriterRequest);
      } catch (err) {
        reject(err as Error); // DataCloneError: an argument cannot cross; the store runs the call here instead
        return;
      }
      messages++;
      pending.set(id, { resolve, reject, errors });
    });
  };

  // Writes are posted in order; the writer runs them in order. An interactive transaction holds the queue from
  // BEGIN to COMMIT so nothing else is interleaved into it. The queue is bounded: past it, fail fast.
  const maxQueued = options.maxQueuedWrites ?? 1000;
  let queued = 0;
  let chain: Promise<unknown> = Promise.resolve();
  const enqueue = <T>(start: (deadline: number) => Promise<T>, holdUntilDone: boolean): Promise<T> => {
    if (down) return Promise.reject(down);
    if (queued >= maxQueued) return Promise.reject(new StoreBusyError(`sqlite write queue full (${maxQueued})`));
    queued++;
    transactions++;
    const deadline = Date.now() + options.busyTimeoutMs;
    let result: Promise<T> | undefined;
    const turn = chain.then(() => {
      result = start(deadline);
      return holdUntilDone ? result.then(() => undefined, () => undefined) : undefined;
    });
    chain = turn;
    return turn.then(() => result!).finally(() => { queued--; });
  };

  const inTransaction = (): Queryable => {
    let open = true;
    const check = (): void => { if (!open) throw new Error('transaction already finished'); };
    const q: Queryable & { end(): void } = {
      all: async <T extends SqlRow>(sql: string, params: readonly SqlValue[] = []) => {
        check();
        return (await call({ op: 'all', sql, params })).rows as T[];
      },
      run: async (sql, params = []) => { check(); return (await call({ op: 'run', sql, params, deadline: 0 })).changes ?? 0; },
      runMany: async (sql, paramSets) => { check(); return (await call({ op: 'runMany', sql, paramSets, deadline: 0 })).changes ?? 0; },
      end: () => { open = false; },
    };
    return q;
  };

  let closing: Promise<void> | null = null;
  return {
    dialect: 'sqlite',
    migrated: hello,
    all: async <T extends SqlRow>(sql: string, params: readonly SqlValue[] = []) => read(sql, params) as T[],
    run: (sql, params = []) => enqueue(async (deadline) => (await call({ op: 'run', sql, params, deadline })).changes ?? 0, false),
    runMany: (sql, paramSets) => paramSets.length === 0 ? Promise.resolve(0)
      : enqueue(async (deadline) => (await call({ op: 'runMany', sql, paramSets, deadline })).changes ?? 0, false),
    transaction: <T>(fn: (q: Queryable) => Promise<T>) => enqueue(async (deadline) => {
      await call({ op: 'begin', deadline });
      const q = inTransaction() as Queryable & { end(): void };
      try {
        const value = await fn(q);
        q.end();
        await call({ op: 'commit' });
        return value;
      } catch (err) {
        q.end();
        await call({ op: 'rollback' }).catch(() => undefined);
        throw err;
      }
    }, true),
    perform: (what: PerformCall, opts: { nowMs: number | null; errors: readonly ErrorClass[] }) => enqueue(async (deadline) =>
      (await call({ op: 'perform', call: what, deadline, nowMs: opts.nowMs }, opts.errors)).value, false),
    writerStats: () => ({ transactions, messages }),
    async ping(): Promise<void> {
      if (down) throw down;
      read('SELECT 1', []);
    },
    close(): Promise<void> {
      closing ??= (async () => {
        await chain.catch(() => undefined);
        closeRequested = true;
        if (!down) {
          await call({ op: 'close' }).catch(() => undefined);
          down = new StoreDownError('store closed');
        }
        await worker.terminate();
        reader.close();
      })();
      return closing;
    },
  };
}

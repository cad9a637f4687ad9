/**
 * The SQLite writer thread. It owns the only write connection; the main thread sends it statements by message.
 * Why a thread: better-sqlite3 is synchronous, and while another connection (the CLI, a second process) holds
 * the write lock, SQLite's busy handler sleeps inside the call for up to busy_timeout, which on the main thread
 * would freeze every request for that long (see docs/storage.md for the measurement). Here it only stalls writes.
 *
 * A whole transaction arrives as ONE `perform` message (a repository write method, or a named TransactionOp whose
 * module this thread imports once): BEGIN IMMEDIATE, the body over this connection, COMMIT, all without waiting
 * for the main thread, so the lock is held only while the body runs (issue 13, section 4). The older `begin` /
 * `all` / `run` / `commit` conversation is kept for `store.transaction(fn)` (CLI and rare paths).
 * Messages are handled strictly one after another, even when a body awaits: nothing interleaves into a transaction.
 */
import { randomUUID } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { openSqlite, toWireError } from './connection.js';
import { checkSqliteSchema, migrateSqlite } from './sqlite-migrate.js';
import type { WriterHello, WriterInit, WriterRequest, WriterResponse } from './writer-protocol.js';
import type { PerformCall, Queryable, SqlRow, SqlValue } from '../sql/queryable.js';
import { buildRepos } from '../sql/sql-store.js';
import { dialectFor } from '../sql/dialect.js';
import { isTransactionOp } from '../transaction-op.js';
import { GatehouseError } from '../../errors/index.js';
import { mapSqliteThrown } from './sqlite-errors.js';
import { toWireThrown } from './thrown.js';

const STATEMENT_CACHE_MAX = 1000;

function main(port: NonNullable<typeof parentPort>, init: WriterInit): void {
  let db: Database.Database;
  try {
    db = openSqlite(init.path, init.busyTimeoutMs);
    const hello: WriterHello = init.migrate
      ? { type: 'ready', pending: 0, ...migrateSqlite(db) }
      : { type: 'ready', applied: [], ...checkSqliteSchema(db) };
    port.postMessage(hello);
  } catch (err) {
    port.postMessage({ type: 'failed', error: toWireError(err) } satisfies WriterHello);
    return;
  }

  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let stmt = statements.get(sql);
    if (!stmt) {
      if (statements.size >= STATEMENT_CACHE_MAX) statements.clear();
      stmt = db.prepare(sql);
      statements.set(sql, stmt);
    }
    return stmt;
  };

  let busyTimeout = init.busyTimeoutMs;
  // Take the write lock, waiting no later than `deadline`: a request that already queued behind a stuck lock
  // gets only what is left of its budget, so no write waits longer than busy_timeout in total.
  const beginImmediate = (deadline: number): void => {
    const remaining = Math.max(0, Math.min(init.busyTimeoutMs, deadline - Date.now()));
    if (Math.abs(remaining - busyTimeout) > 5) {
      db.pragma(`busy_timeout = ${remaining}`);
      busyTimeout = remaining;
    }
    db.exec('BEGIN IMMEDIATE');
  };
  const atomically = (deadline: number, fn: () => number): number => {
    beginImmediate(deadline);
    try {
      const result = fn();
      db.exec('COMMIT');
      return result;
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  };
  const runOne = (sql: string, params: readonly SqlValue[]): number => prepare(sql).run(...params).changes;
  let inTx = false;

  // The repositories' Queryable over this connection: synchronous underneath, so a body's awaits settle as
  // microtasks and the whole transaction runs in this one turn. Driver errors become the store's typed errors
  // here, as they would on the main thread, because bodies branch on them (ConflictError...).
  const mapped = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(mapSqliteThrown(err));
    }
  };
  const syncQ: Queryable = {
    all: <T extends SqlRow>(sql: string, params: readonly SqlValue[] = []) => mapped(() => prepare(sql).all(...params) as T[]),
    run: (sql, params = []) => mapped(() => runOne(sql, params)),
    runMany: (sql, paramSets) => mapped(() => {
      const stmt = prepare(sql);
      let changes = 0;
      for (const p of paramSets) changes += stmt.run(...p).changes;
      return changes;
    }),
  };
  const dialect = dialectFor('sqlite');
  const modules = new Map<string, Promise<Record<string, unknown>>>();
  const bodyOf = async (call: PerformCall): Promise<(repos: ReturnType<typeof buildRepos>) => Promise<unknown>> => {
    if (call.kind === 'repo') {
      return (repos) => {
        const fn = (repos[call.repo] as unknown as Record<string, unknown>)[call.method];
        if (typeof fn !== 'function') throw new GatehouseError('GATE_ERR_INTERNAL', undefined, { detail: `no store method ${call.repo}.${call.method}` });
        return (fn as (...a: readonly unknown[]) => Promise<unknown>)(...call.args);
      };
    }
    let mod = modules.get(call.module);
    if (!mod) {
      mod = import(call.module) as Promise<Record<string, unknown>>;
      modules.set(call.module, mod);
    }
    const op = (await mod)[call.name];
    if (!isTransactionOp(op) || op.name !== call.name) {
      throw new GatehouseError('GATE_ERR_INTERNAL', undefined, { detail: `${call.module} exports no transaction ${call.name}` });
    }
    return (repos) => op.body(repos, call.args);
  };
  // BEGIN IMMEDIATE, the body, COMMIT; the module import (first use only) happens before the lock is taken.
  const perform = async (req: Extract<WriterRequest, { op: 'perform' }>): Promise<unknown> => {
    const body = await bodyOf(req.call);
    const repos = buildRepos({
      q: syncQ, dialect, now: req.nowMs === null ? Date.now : () => req.nowMs!, newId: randomUUID, atomic: (fn) => fn(syncQ),
    });
    try {
      beginImmediate(req.deadline);
    } catch (err) {
      throw mapSqliteThrown(err);
    }
    try {
      const value = await body(repos);
      db.exec('COMMIT');
      return value;
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  };

  let turn: Promise<void> = Promise.resolve();
  port.on('message', (req: WriterRequest) => {
    if (req.op !== 'perform') {
      // Nothing async to wait for: answer at once unless a perform is still running in front of it.
      turn = turn.then(() => handle(req), () => handle(req));
      return;
    }
    turn = turn.then(async () => {
      let res: WriterResponse;
      try {
        res = { id: req.id, ok: true, value: await perform(req) };
      } catch (err) {
        res = err instanceof GatehouseError
          ? { id: req.id, ok: false, error: { code: err.code, message: err.message }, thrown: toWireThrown(err) }
          : { id: req.id, ok: false, error: toWireError(err) };
      }
      try {
        port.postMessage(res);
      } catch (err) {
        // Committed, but the result cannot cross: an internal error (never retried on the main thread).
        port.postMessage({ id: req.id, ok: false, error: { code: 'RESULT_NOT_CLONABLE', message: String(err) } } satisfies WriterResponse);
      }
    }).catch(() => undefined);
  });

  function handle(req: Exclude<WriterRequest, { op: 'perform' }>): void {
    let res: WriterResponse;
    try {
      switch (req.op) {
        case 'run':
          res = { id: req.id, ok: true, changes: inTx ? runOne(req.sql, req.params) : atomically(req.deadline, () => runOne(req.sql, req.params)) };
          break;
        case 'runMany': {
          const many = (): number => {
            const stmt = prepare(req.sql);
            let changes = 0;
            for (const p of req.paramSets) changes += stmt.run(...p).changes;
            return changes;
          };
          res = { id: req.id, ok: true, changes: inTx ? many() : atomically(req.deadline, many) };
          break;
        }
        case 'all':
          res = { id: req.id, ok: true, rows: prepare(req.sql).all(...req.params) as Record<string, unknown>[] };
          break;
        case 'begin':
          beginImmediate(req.deadline);
          inTx = true;
          res = { id: req.id, ok: true };
          break;
        case 'commit':
          inTx = false;
          db.exec('COMMIT');
          res = { id: req.id, ok: true };
          break;
        case 'rollback':
          inTx = false;
          if (db.inTransaction) db.exec('ROLLBACK');
          res = { id: req.id, ok: true };
          break;
        case 'close':
          db.close();
          port.postMessage({ id: req.id, ok: true } satisfies WriterResponse);
          port.close();
          return;
      }
    } catch (err) {
      if (req.op === 'commit' && db.inTransaction) db.exec('ROLLBACK');
      res = { id: req.id, ok: false, error: toWireError(err) };
    }
    port.postMessage(res);
  }
}

if (parentPort) main(parentPort, workerData as WriterInit);

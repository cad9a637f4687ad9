/**
 * The SQLite writer thread. It owns the only write connection; the main thread sends it statements by message.
 * Why a thread: better-sqlite3 is synchronous, and while another connection (the CLI, a second process) holds
 * the write lock, SQLite's busy handler sleeps inside the call for up to busy_timeout, which on the main thread
 * would freeze every request for that long (see docs/storage.md for the measurement). Here it only stalls writes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { openSqlite, toWireError } from './connection.js';
import { checkSqliteSchema, migrateSqlite } from './sqlite-migrate.js';
import type { WriterHello, WriterInit, WriterRequest, WriterResponse } from './writer-protocol.js';
import type { SqlValue } from '../sql/queryable.js';

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

  port.on('message', (req: WriterRequest) => {
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
  });
}

if (parentPort) main(parentPort, workerData as WriterInit);

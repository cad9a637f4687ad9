import type { ErrorClass } from '../transaction-op.js';
import type { PoolStats, StoreDriver, StoreRepos } from '../store.js';

/** A value a statement parameter may take; booleans and Dates are converted before they reach a driver. */
export type SqlValue = string | number | null;

/** A row as a driver returns it: column name to value. */
export type SqlRow = Record<string, unknown>;

/**
 * The little a repository needs from a connection: read rows, run a write and learn how many rows it changed.
 * SQL is written once with `?` placeholders; each driver adapts it (PostgreSQL numbers them).
 */
export interface Queryable {
  all<T extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs one write; outside a transaction it commits on its own. Returns the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs one statement once per parameter set, all in one transaction (one round trip to the SQLite writer). */
  runMany(sql: string, paramSets: readonly (readonly SqlValue[])[]): Promise<number>;
}

/**
 * A whole write transaction named so another thread can run it (see transaction-op.ts): a repository method called
 * on the root store (`sessions.revoke(id)`), or a named TransactionOp.
 */
export type PerformCall =
  | { kind: 'repo'; repo: keyof StoreRepos; method: string; args: readonly unknown[] }
  | { kind: 'op'; module: string; name: string; args: unknown };

/** Counters of the SQLite writer channel (see SqlDriver.writerStats). */
export interface WriterStats {
  readonly transactions: number;
  readonly messages: number;
}

/** A driver: a Queryable plus transactions and lifecycle. Every error it raises is already a GatehouseError. */
export interface SqlDriver extends Queryable {
  readonly dialect: StoreDriver;
  /** Runs `fn` on one connection inside BEGIN (IMMEDIATE on SQLite) ... COMMIT, rolling back if it throws. */
  transaction<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * Runs a whole transaction where the data is, in one step (SQLite: one message to the writer thread, which runs
   * BEGIN IMMEDIATE ... COMMIT without waiting for the main thread). `nowMs` pins the clock of the body when the
   * store's clock is not Date.now. Absent where `transaction` is already as good (PostgreSQL, MySQL). Errors thrown
   * by a TransactionOp come back as instances of the store's classes or of `errors`.
   */
  perform?(call: PerformCall, options: { nowMs: number | null; errors: readonly ErrorClass[] }): Promise<unknown>;
  /**
   * SQLite only: write transactions started so far (each write, runMany, perform or transaction counts one) and
   * the messages they sent to the writer thread. Equal counts mean every write held the lock for one message only.
   */
  writerStats?(): WriterStats;
  /** The connection pool right now; absent on SQLite. */
  poolStats?(): PoolStats;
}

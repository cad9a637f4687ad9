import type { PoolStats, StoreDriver } from '../store.js';

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

/** A driver: a Queryable plus transactions and lifecycle. Every error it raises is already a GatehouseError. */
export interface SqlDriver extends Queryable {
  readonly dialect: StoreDriver;
  /** Runs `fn` on one connection inside BEGIN (IMMEDIATE on SQLite) ... COMMIT, rolling back if it throws. */
  transaction<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** The connection pool right now; absent on SQLite. */
  poolStats?(): PoolStats;
}

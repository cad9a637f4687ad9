import type { PerformCall, SqlRow, SqlValue } from '../sql/queryable.js';
import type { WireThrown } from './thrown.js';

// The messages between the main thread and the SQLite writer thread. Plain data only (structured clone).

/** Settings the writer thread starts with (worker_threads workerData). */
export interface WriterInit {
  path: string;
  busyTimeoutMs: number;
  /** Apply pending migrations before reporting ready; otherwise only check the schema is not too new. */
  migrate: boolean;
}

/** One request to the writer. `deadline` (epoch ms) bounds how long it may wait for the write lock in total. */
export type WriterRequest =
  | { id: number; op: 'run'; sql: string; params: readonly SqlValue[]; deadline: number }
  | { id: number; op: 'runMany'; sql: string; paramSets: readonly (readonly SqlValue[])[]; deadline: number }
  | { id: number; op: 'all'; sql: string; params: readonly SqlValue[] }
  | { id: number; op: 'begin'; deadline: number }
  /** A whole transaction in one message: BEGIN IMMEDIATE, the body, COMMIT (see transaction-op.ts). */
  | { id: number; op: 'perform'; call: PerformCall; deadline: number; nowMs: number | null }
  | { id: number; op: 'commit' | 'rollback' | 'close' };

/** A driver error reduced to what survives a thread boundary. */
export interface WireError {
  code: string;
  message: string;
  /** Set when the database schema is newer than the code. */
  schema?: { database: number; code: number };
}

export type WriterResponse =
  | { id: number; ok: true; changes?: number; rows?: SqlRow[]; value?: unknown }
  /** `thrown`: a GatehouseError a transaction body threw on purpose (rebuilt as its class on the main thread). */
  | { id: number; ok: false; error: WireError; thrown?: WireThrown };

/** The first message from the writer: ready (with the migrations it applied) or failed. */
export type WriterHello =
  | { type: 'ready'; applied: { version: number; name: string }[]; pending: number; version: number }
  | { type: 'failed'; error: WireError };

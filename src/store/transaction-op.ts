/**
 * Named write transactions: the logic of one transaction as a function of plain-data arguments, exported from a
 * module under a name, so the store can run it wherever the data is in ONE step. On SQLite that is the writer thread:
 * the main thread sends `{module, name, args}` in one message and the writer runs BEGIN IMMEDIATE, the whole body and
 * COMMIT without waiting for anyone, so the write lock is held for microseconds instead of across turns of a busy
 * event loop (issue 13, section 4). On PostgreSQL and MySQL it is simply `store.transaction`.
 *
 * Rules for a body (they are what make it movable):
 * - it touches the database only through the repositories it is given, and does no other I/O;
 * - its arguments and its result are plain data (structured clone: objects, arrays, Dates, Maps; no functions);
 * - the errors it throws are the store's (src/errors/kinds.ts) or classes listed in `errors`, so the caller gets the
 *   same class back from the other thread (`instanceof` still works).
 * Define one with `transactionOp(import.meta.url, 'exportName', body)` and export it under that name.
 */
import type { ErrorClass, StoreRepos, TransactionOp } from './store.js';

export type { ErrorClass, TransactionOp } from './store.js';

/** Defines a named transaction; export the result from `module` under `name`. */
export function transactionOp<A, R>(module: string, name: string, body: (tx: StoreRepos, args: A) => Promise<R>,
  errors: readonly ErrorClass[] = []): TransactionOp<A, R> {
  return { kind: 'transaction-op', module, name, body, errors };
}

/** Whether a value (an export looked up by name in another thread) is a TransactionOp. */
export function isTransactionOp(value: unknown): value is TransactionOp<unknown, unknown> {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'transaction-op' &&
    typeof (value as { body?: unknown }).body === 'function';
}

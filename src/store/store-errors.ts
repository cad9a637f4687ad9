import { GatehouseError, isGatehouseError } from '../errors/index.js';

/**
 * Names the uniqueness rule a driver's duplicate-key error broke, from whatever the driver says: a PostgreSQL
 * constraint name, a MySQL key name, or SQLite's "UNIQUE constraint failed: table.column" text. The index names
 * in the migrations carry the field so all three map the same way. A bare primary key maps to 'id'; the repos
 * for composite keys (identities, memberships) rename it.
 */
export function conflictField(hint: string): string {
  if (hint.includes('email')) return 'email';
  if (hint.includes('slug')) return 'slug';
  if (hint.includes('external_identities')) return 'identity';
  if (hint.includes('memberships')) return 'membership';
  if (hint.includes('settings') || hint.includes('attempt_key')) return 'key';
  return 'id';
}

/** Wraps anything unexpected from a driver so no driver-specific error escapes the store. */
export function storeInternal(cause: unknown): GatehouseError {
  if (isGatehouseError(cause)) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new GatehouseError('GATE_ERR_INTERNAL', 'storage error', { detail, cause });
}

/** Rejects with `make()` if `promise` has not settled within `ms`; `onLate` receives the late value to clean up. */
export function withTimeout<T>(promise: Promise<T>, ms: number, make: () => Error, onLate: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; reject(make()); }, ms);
    promise.then(
      (value) => { if (timedOut) onLate(value); else { clearTimeout(timer); resolve(value); } },
      (err: unknown) => { if (!timedOut) { clearTimeout(timer); reject(err); } },
    );
  });
}

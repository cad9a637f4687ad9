import { GatehouseError, StoreDownError, isGatehouseError } from '../errors/index.js';

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

/**
 * Remembers whether the database's last answer was "not there". A wait for a pooled connection that times out
 * while the database is away is the outage itself (the pool is full of connections stuck on a dead server), not
 * contention: it is reported as StoreDown. Any answer from the server, an error included, clears the latch.
 */
export class OutageLatch {
  #down: StoreDownError | undefined;

  /** A statement was answered by the server. */
  answered(): void {
    this.#down = undefined;
  }

  /** Passes a mapped error through, remembering outages; `poolWait` marks a local pool-wait timeout. */
  seen(err: GatehouseError, poolWait = false): GatehouseError {
    if (err instanceof StoreDownError) {
      this.#down = err;
      return err;
    }
    if (poolWait && this.#down !== undefined) {
      return new StoreDownError(`${err.detail ?? err.message}, while the database is not answering (${this.#down.detail ?? this.#down.message})`, err);
    }
    if (!poolWait && err.code !== 'GATE_ERR_INTERNAL') this.answered();
    return err;
  }
}

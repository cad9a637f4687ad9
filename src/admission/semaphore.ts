/**
 * A counting semaphore with a bounded FIFO wait queue: the admission primitive behind the hash pool (and anything
 * else that must say "no" early instead of hoarding work). Nothing here is unbounded: at most `size` holders, at
 * most `queue` waiters, and every wait has a timeout. Past the bound, `acquire` rejects at once.
 *
 * Permits are handed straight from a releasing holder to the oldest waiter, so a newcomer calling `tryAcquire`
 * can never overtake the queue (no barging).
 */

/** Gives a permit back. Idempotent: a second call does nothing. */
export type Release = () => void;

/** Why an acquire failed; the caller maps it to its own catalogue code (hash pool: GATE_ERR_HASH_POOL_FULL). */
export type SemaphoreErrorCode = 'SEMAPHORE_QUEUE_FULL' | 'SEMAPHORE_TIMEOUT' | 'SEMAPHORE_ABORTED';

/** An acquire that did not get a permit. Never reaches a client as is: callers translate it. */
export class SemaphoreError extends Error {
  readonly code: SemaphoreErrorCode;
  constructor(code: SemaphoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SemaphoreError';
    this.code = code;
  }
}

/** Whether a value is a SemaphoreError with (optionally) the given code. */
export function isSemaphoreError(value: unknown, code?: SemaphoreErrorCode): value is SemaphoreError {
  return value instanceof SemaphoreError && (code === undefined || value.code === code);
}

export interface SemaphoreOptions {
  /** Permits: holders allowed at once (>= 1). */
  size: number;
  /** Waiters allowed in the FIFO queue (>= 0); 0 makes `acquire` behave like `tryAcquire` with an error. */
  queue: number;
  /** Called after every change of inUse or queueDepth (for gauges). Must not throw. */
  onChange?: (state: SemaphoreState) => void;
}

/** A snapshot for metrics and tests. */
export interface SemaphoreState {
  size: number;
  inUse: number;
  queueDepth: number;
  queueCapacity: number;
}

interface Waiter {
  grant(release: Release): void;
}

/** A counting semaphore with a bounded FIFO queue; see the file comment. */
export class Semaphore {
  readonly size: number;
  readonly queueCapacity: number;
  #inUse = 0;
  // A Set keeps insertion order (FIFO) and deletes in O(1) when a waiter times out or is aborted.
  readonly #waiters = new Set<Waiter>();
  readonly #onChange: ((state: SemaphoreState) => void) | undefined;

  constructor(options: SemaphoreOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new TypeError(`semaphore size must be an integer >= 1, got ${options.size}`);
    if (!Number.isInteger(options.queue) || options.queue < 0) throw new TypeError(`semaphore queue must be an integer >= 0, got ${options.queue}`);
    this.size = options.size;
    this.queueCapacity = options.queue;
    this.#onChange = options.onChange;
    this.#changed();
  }

  /** Permits currently held. */
  get inUse(): number {
    return this.#inUse;
  }

  /** Callers waiting for a permit. */
  get queueDepth(): number {
    return this.#waiters.size;
  }

  /** A snapshot of the counters. */
  state(): SemaphoreState {
    return { size: this.size, inUse: this.#inUse, queueDepth: this.#waiters.size, queueCapacity: this.queueCapacity };
  }

  /** Takes a permit if one is free and nobody is queued; otherwise undefined, at once. */
  tryAcquire(): Release | undefined {
    if (this.#inUse >= this.size || this.#waiters.size > 0) return undefined;
    this.#inUse++;
    this.#changed();
    return this.#makeRelease();
  }

  /**
   * Takes a permit, waiting in the FIFO queue up to `timeoutMs` if none is free. Rejects at once with
   * SEMAPHORE_QUEUE_FULL when the queue is full, with SEMAPHORE_TIMEOUT when the wait runs out, and with
   * SEMAPHORE_ABORTED when `signal` aborts first.
   */
  acquire(timeoutMs: number, signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(new SemaphoreError('SEMAPHORE_ABORTED', 'aborted before a permit was free', { cause: signal.reason }));
    const now = this.tryAcquire();
    if (now !== undefined) return Promise.resolve(now);
    if (this.#waiters.size >= this.queueCapacity) {
      return Promise.reject(new SemaphoreError('SEMAPHORE_QUEUE_FULL', `no permit free and ${this.#waiters.size} already waiting`));
    }
    return new Promise<Release>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const leave = (err: SemaphoreError): void => {
        if (!this.#waiters.delete(waiter)) return; // already granted
        cleanup();
        this.#changed();
        reject(err);
      };
      const onAbort = (): void => leave(new SemaphoreError('SEMAPHORE_ABORTED', 'aborted while waiting for a permit', { cause: signal?.reason }));
      const waiter: Waiter = {
        grant: (release) => { cleanup(); resolve(release); },
      };
      this.#waiters.add(waiter);
      timer = setTimeout(() => leave(new SemaphoreError('SEMAPHORE_TIMEOUT', `no permit within ${timeoutMs} ms`)), Math.max(0, timeoutMs));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#changed();
    });
  }

  #makeRelease(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.values().next();
      if (!next.done) {
        // Hand the permit over directly: inUse is unchanged, the queue shrinks by one.
        this.#waiters.delete(next.value);
        this.#changed();
        next.value.grant(this.#makeRelease());
        return;
      }
      this.#inUse--;
      this.#changed();
    };
  }

  #changed(): void {
    this.#onChange?.(this.state());
  }
}

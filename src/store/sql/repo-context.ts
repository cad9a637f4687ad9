import type { Dialect } from './dialect.js';
import type { Queryable } from './queryable.js';

/** What every repository is built from: where to send SQL, the dialect's fragments, a clock and an id source. */
export interface RepoContext {
  readonly q: Queryable;
  readonly dialect: Dialect;
  /** Epoch ms; injected so tests can pin time. */
  now(): number;
  newId(): string;
  /** Runs `fn` atomically: inside an outer transaction that is just `fn(q)`, otherwise a new transaction. */
  atomic<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
}

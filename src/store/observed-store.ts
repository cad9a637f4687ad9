/**
 * The store as the rest of Gatehouse sees it: every repository call timed by operation
 * (`gatehouse_store_operation_duration_seconds{operation="users.getByEmail"}`), failures counted by kind, and each
 * outcome handed to the database monitor, so "the database is away" is noticed by the first call that meets it.
 * Calls made inside `transaction` are timed as one `transaction` operation (their repos are the transaction's).
 * Store calls are never on the cached-session path, so the cost (one histogram observation) is off the hot path.
 */
import { performance } from 'node:perf_hooks';
import type { Metrics } from '../metrics/metrics.js';
import type { GatehouseError } from '../errors/index.js';
import type { Store, StoreRepos } from './store.js';
import { SpanKind } from '@opentelemetry/api';
import type { Tracing } from '../tracing/tracing.js';

/** Receives the outcome of store calls (the database monitor, src/actors/database-monitor.ts). */
export interface DatabaseObserver {
  /** The database answered (an error answer from the server counts: it is there). */
  answered(): void;
  /** The database is not there (a StoreDown error). */
  unreachable(err: GatehouseError): void;
}

/** Hooks an observer receives per call; tracing adds one here. */
export interface StoreCallHooks {
  /** Called when a call starts; the returned function is called with its error (or undefined) when it ends. */
  start?(operation: string): (err?: unknown) => void;
}

/** One span per store call (`store users.getByEmail`), a child of whatever span is active; none when tracing is off. */
export function storeSpans(tracing: Tracing): StoreCallHooks | undefined {
  if (!tracing.enabled) return undefined;
  return { start: (operation) => tracing.start(`store ${operation}`, { 'db.operation.name': operation }, SpanKind.CLIENT) };
}

const REPOS: readonly (keyof StoreRepos)[] = [
  'users', 'identities', 'sessions', 'orgs', 'memberships', 'webhooks', 'deliveries', 'audit', 'settings', 'loginAttempts', 'changes', 'signingKeys',
];

/** The operation label values a store can produce: `<repo>.<method>`, `transaction` and `ping`. */
export function storeOperations(store: Store): string[] {
  const out: string[] = ['transaction', 'ping'];
  for (const repo of REPOS) for (const method of methodsOf(store[repo])) out.push(`${repo}.${method}`);
  return out;
}

/** Wraps a store so every call is timed, counted and reported to `observer`. */
export function observeStore(store: Store, deps: { metrics: Metrics; observer: DatabaseObserver; hooks?: StoreCallHooks }): Store {
  const { metrics, observer } = deps;
  const timed = <A extends unknown[], R>(operation: string, fn: (...args: A) => Promise<R>): ((...args: A) => Promise<R>) => {
    const histogram = metrics.storeOperationDuration.labels({ operation });
    return async (...args: A): Promise<R> => {
      const started = performance.now();
      const end = deps.hooks?.start?.(operation);
      try {
        const value = await fn(...args);
        observer.answered();
        end?.();
        return value;
      } catch (err) {
        classify(err as GatehouseError);
        end?.(err);
        throw err;
      } finally {
        histogram.observe((performance.now() - started) / 1000);
      }
    };
  };
  const classify = (err: GatehouseError): void => {
    switch (err?.code) {
      case 'GATE_ERR_STORE_DOWN':
        metrics.storeErrors.inc({ kind: 'down' });
        observer.unreachable(err);
        return;
      case 'GATE_ERR_STORE_BUSY':
        metrics.storeErrors.inc({ kind: 'busy' });
        return;
      case 'GATE_ERR_STORE_CONFLICT':
      case 'GATE_ERR_STORE_NOT_FOUND':
        // The database answered; the caller's request was the problem.
        observer.answered();
        return;
      default:
        metrics.storeErrors.inc({ kind: 'other' });
    }
  };

  const repos = Object.fromEntries(REPOS.map((name) => {
    const repo = store[name] as unknown as Record<string, unknown>;
    const wrapped: Record<string, unknown> = {};
    for (const method of methodsOf(repo)) {
      wrapped[method] = timed(`${name}.${method}`, (repo[method] as (...a: unknown[]) => Promise<unknown>).bind(repo));
    }
    return [name, wrapped];
  })) as unknown as StoreRepos;

  metrics.watchPool(store.poolStats);
  return {
    ...store,
    ...repos,
    transaction: timed('transaction', store.transaction.bind(store)) as Store['transaction'],
    perform: timed('transaction', store.perform.bind(store)) as Store['perform'],
    ping: timed('ping', () => store.ping()),
  };
}

function methodsOf(repo: unknown): string[] {
  const out = new Set<string>();
  for (let o = repo as object | null; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key !== 'constructor' && typeof (repo as Record<string, unknown>)[key] === 'function') out.add(key);
    }
  }
  return [...out].sort();
}

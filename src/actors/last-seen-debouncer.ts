/**
 * The last-seen debouncer: the story's fix 3 ("stop writing the same thing"). Requests call `touch`, which only
 * looks at two in-memory maps: a user's or a session's first activity in a window of `intervalMs` is queued, every
 * later one in the same window is skipped and counted. A timer flushes the queue in the background through
 * `store.sessions.touchLastSeen` (one transaction per batch), so no request ever waits for a write, and a busy user
 * costs one write per interval instead of one per request.
 *
 * A written session also gets its sliding idle expiry moved to `at + idleTimeoutMs`. Because of the debounce, the
 * stored idle expiry may lag real activity by up to one interval: keep `sessions.idle_timeout` well above
 * `sessions.last_seen_interval` (defaults: 24 h and 5 min).
 *
 * Memory is bounded: the "written in this window" maps are LRU caches (max entries, TTL = interval) and the queue
 * holds at most `maxPending` updates; an update that does not fit is skipped (counted) and retried on the next touch.
 */
import { LRUCache } from 'lru-cache';
import type { Actor } from './actor.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { LastSeenUpdate, Store } from '../store/store.js';

export type LastSeenMetrics = Pick<Metrics, 'lastSeenWrites' | 'lastSeenSkipped'>;

export interface LastSeenDebouncerOptions {
  store: Pick<Store, 'sessions'>;
  /** `sessions.last_seen_interval`: at most one write per user and per session per this many ms. */
  intervalMs: number;
  /** `sessions.idle_timeout`: a written session's idle expiry becomes `at + idleTimeoutMs`. Omit to leave it alone. */
  idleTimeoutMs?: number;
  metrics: LastSeenMetrics;
  logger: Logger;
  /** Epoch ms (default Date.now). */
  clock?: () => number;
  /** How often queued updates are written (default 1 s). */
  flushIntervalMs?: number;
  /** Users and sessions remembered per window, each (default 100,000). Past it the least recent is forgotten. */
  maxEntries?: number;
  /** Updates waiting to be written (default 10,000). */
  maxPending?: number;
  /** Updates per `touchLastSeen` call, i.e. per transaction (default 500). */
  batchSize?: number;
  /** Retry delays after a failed flush (default 100 ms doubling to 5 s, with jitter). */
  backoff?: BackoffOptions;
}

export interface LastSeenStats {
  pending: number;
  trackedUsers: number;
  trackedSessions: number;
  written: number;
  skipped: number;
  failedFlushes: number;
}

export interface LastSeenDebouncer extends Actor {
  /** Notes activity by a user on a session at `now` (default: the clock). Never waits, never throws for I/O. */
  touch(userId: string, sessionId: string, now?: number): void;
  /** Writes what is queued now (the timer does this on its own; for tests and stop). */
  flush(): Promise<void>;
  stats(): LastSeenStats;
}

/** Builds the debouncer; `start` arms the flush timer. */
export function createLastSeenDebouncer(options: LastSeenDebouncerOptions): LastSeenDebouncer {
  const { store, intervalMs, metrics, logger } = options;
  const clock = options.clock ?? Date.now;
  const flushIntervalMs = options.flushIntervalMs ?? 1_000;
  const maxEntries = options.maxEntries ?? 100_000;
  const maxPending = options.maxPending ?? 10_000;
  const batchSize = options.batchSize ?? 500;
  if (!(intervalMs > 0)) throw new TypeError(`last-seen interval must be positive, got ${intervalMs}`);

  // Value: when the key's current window began (epoch ms). The TTL (on the same clock) frees memory once the
  // window is over; the explicit comparison in `due` is what decides, so a caller-supplied `now` is honoured too.
  const windowCache = (): LRUCache<string, number> =>
    new LRUCache<string, number>({ max: maxEntries, ttl: intervalMs, perf: { now: clock } });
  const users = windowCache();
  const sessions = windowCache();
  let pending: LastSeenUpdate[] = [];
  let written = 0;
  let skipped = 0;
  let failedFlushes = 0;
  let attempt = 0;
  let retryAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let stopped = false;

  const due = (cache: LRUCache<string, number>, key: string, now: number): boolean => {
    const since = cache.get(key);
    return since === undefined || now - since >= intervalMs || now < since;
  };

  async function writeAll(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending.slice(0, batchSize);
      try {
        await store.sessions.touchLastSeen(batch);
      } catch (err) {
        failedFlushes++;
        const delay = backoffDelay(attempt, options.backoff);
        attempt++;
        retryAt = performance.now() + delay;
        logger.warn({ err, attempt, updates: batch.length, pending: pending.length, retryInMs: delay },
          'last-seen flush failed; keeping the updates and retrying');
        return;
      }
      pending = pending.slice(batch.length);
      written += batch.length;
      metrics.lastSeenWrites.inc(batch.length);
      attempt = 0;
      retryAt = 0;
    }
  }

  function flush(): Promise<void> {
    // One flush at a time: a second caller waits for the running one, then writes whatever is left.
    flushing ??= writeAll().finally(() => { flushing = undefined; });
    return flushing;
  }

  function tick(): void {
    if (pending.length === 0 || flushing !== undefined || performance.now() < retryAt) return;
    void flush();
  }

  return {
    name: 'last-seen-debouncer',

    touch(userId, sessionId, now = clock()) {
      const userDue = due(users, userId, now);
      const sessionDue = due(sessions, sessionId, now);
      if (!userDue && !sessionDue) {
        skipped++;
        metrics.lastSeenSkipped.inc();
        return;
      }
      if (pending.length >= maxPending || stopped) {
        // Not marked as written, so the next touch after a flush tries again. Counted: activity not written.
        skipped++;
        metrics.lastSeenSkipped.inc();
        return;
      }
      const at = new Date(now);
      const update: LastSeenUpdate = { at };
      if (userDue) { update.userId = userId; users.set(userId, now); }
      if (sessionDue) {
        update.sessionId = sessionId;
        sessions.set(sessionId, now);
        if (options.idleTimeoutMs !== undefined) update.idleExpiresAt = new Date(now + options.idleTimeoutMs);
      }
      pending.push(update);
    },

    flush,

    start() {
      if (timer !== undefined || stopped) return;
      timer = setInterval(tick, flushIntervalMs);
    },

    async stop(deadlineMs) {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      const deadline = performance.now() + deadlineMs;
      const until = (ms: number, work?: Promise<void>): Promise<unknown> => {
        let t: NodeJS.Timeout | undefined;
        const sleep = new Promise((r) => { t = setTimeout(r, Math.max(0, ms)); });
        return Promise.race(work ? [work, sleep] : [sleep]).finally(() => clearTimeout(t));
      };
      while (pending.length > 0 && performance.now() < deadline) {
        await until(deadline - performance.now(), flush()); // a hung store must not hold stop past its deadline
        // After a failure, wait out the backoff, but not past the deadline.
        if (pending.length > 0 && flushing === undefined) await until(Math.min(retryAt, deadline) - performance.now());
      }
      if (pending.length > 0) logger.warn({ lost: pending.length }, 'last-seen debouncer stopped with unwritten updates');
    },

    stats: () => ({ pending: pending.length, trackedUsers: users.size, trackedSessions: sessions.size, written, skipped, failedFlushes }),
  };
}

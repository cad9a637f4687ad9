import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ChangeEntry, ChangeSubscription, Store } from '../store/store.js';
import type { Actor } from './actor.js';
import { pollingLoop } from './polling-loop.js';

/** What the feed does to the local session cache for each change. */
export interface CacheInvalidation {
  /** A session was revoked: drop it and refuse it without a store read. */
  forgetSession(sessionId: string): void;
  /** A user changed (roles, disabled, memberships, sessions ended): drop their cached sessions. */
  evictUser(userId: string): void;
  /** Changes may have been missed, or an organization changed: drop everything. */
  clear(): void;
}

export interface ChangeFeedOptions {
  store: Pick<Store, 'changes' | 'subscribeToChanges'>;
  cache: CacheInvalidation;
  /** How often the feed is read even without a notification (the bound on MySQL and SQLite). */
  pollIntervalMs: number;
  /** How long entries are kept before pruning; a replica behind this drops its whole cache. */
  retentionMs: number;
  metrics: Pick<Metrics, 'changesApplied' | 'changeFeedErrors' | 'changeFeedCacheClears'>;
  logger: Logger;
  clock?: () => number;
}

export interface ChangeFeed extends Actor {
  /** Reads and applies new entries now (also what the timer and notifications do). */
  poll(): Promise<void>;
}

/**
 * Sequence numbers are handed out at insert but become visible at commit, so an entry can appear behind one
 * already read. Each read looks this many sequence numbers back and skips what it has applied.
 */
const LOOKBACK = 256;
const PRUNE_EVERY_MS = 60_000;

/**
 * The change feed reader: how a revocation, a disable or a role or membership change made on another replica (or
 * by the CLI) reaches this replica's session cache. It reads the feed every `pollIntervalMs` and, on PostgreSQL,
 * at once when a NOTIFY arrives. After a lost subscription, or when it has fallen behind the retention, it drops
 * the whole cache (the next requests re-read from the store): it may have missed something, and a stale grant is
 * worse than a cache miss.
 */
export function createChangeFeed(options: ChangeFeedOptions): ChangeFeed {
  const { store, cache, metrics, logger } = options;
  const clock = options.clock ?? Date.now;
  let lastSeq: number | undefined;
  /** Entries at or below this were written before this replica started: its cache cannot hold anything they touch. */
  let floor = 0;
  const applied = new Set<number>();
  let subscription: ChangeSubscription | undefined;
  let lastPrune = 0;
  let failing = false;

  function apply(entry: ChangeEntry): void {
    switch (entry.kind) {
      case 'session': cache.forgetSession(entry.subject); break;
      case 'user': cache.evictUser(entry.subject); break;
      case 'org': cache.clear(); break;
    }
    metrics.changesApplied.inc({ kind: entry.kind });
  }

  function clearAll(reason: string): void {
    cache.clear();
    metrics.changeFeedCacheClears.inc({ reason });
    logger.info({ reason }, 'session cache cleared: changes may have been missed');
  }

  async function readOnce(): Promise<void> {
    if (lastSeq === undefined) {
      // Never read before (the database was down at start): start from now, and drop what we may have cached.
      lastSeq = await store.changes.latest();
      floor = lastSeq;
      clearAll('start_without_feed');
      return;
    }
    const oldest = await store.changes.oldest();
    if (oldest > lastSeq + 1 && lastSeq > 0) clearAll('fell_behind_retention');
    for (;;) {
      const entries = await store.changes.since(Math.max(0, lastSeq - LOOKBACK));
      let fresh = 0;
      for (const entry of entries) {
        if (entry.seq <= floor || applied.has(entry.seq)) continue;
        applied.add(entry.seq);
        apply(entry);
        fresh++;
        if (entry.seq > lastSeq) lastSeq = entry.seq;
      }
      for (const seq of applied) if (seq < lastSeq - 2 * LOOKBACK) applied.delete(seq);
      if (entries.length < 1000 || fresh === 0) break;
    }
    const now = clock();
    if (now - lastPrune > PRUNE_EVERY_MS) {
      lastPrune = now;
      await store.changes.prune(new Date(now - options.retentionMs));
    }
  }

  const loop = pollingLoop(options.pollIntervalMs, async () => {
    try {
      await readOnce();
      if (failing) logger.info('change feed readable again');
      failing = false;
    } catch (err) {
      metrics.changeFeedErrors.inc();
      if (!failing) logger.warn({ err: (err as Error).message }, 'change feed unreadable; cached sessions stay valid for at most the cache TTL');
      failing = true;
    }
  });
  const poll = (): Promise<void> => loop.wake();

  return {
    name: 'change-feed',
    poll,
    async start() {
      try {
        lastSeq = await store.changes.latest();
        floor = lastSeq;
      } catch {
        lastSeq = undefined;
      }
      if (store.subscribeToChanges) {
        subscription = await store.subscribeToChanges({
          onNotify: () => void poll(),
          onReconnect: () => {
            clearAll('listener_reconnected');
            void poll();
          },
        });
      }
      loop.start();
    },
    async stop() {
      const stopped = loop.stop();
      await subscription?.close();
      await stopped;
    },
  };
}

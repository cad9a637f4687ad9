import { LRUCache } from 'lru-cache';
import type { Metrics } from '../metrics/metrics.js';

/** What the cache remembers about a validated session: enough to authorise without the store. */
export interface CachedSession {
  readonly sessionId: string;
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  readonly roles: readonly string[];
  readonly orgs: readonly { readonly slug: string; readonly role: string }[];
  /** Whether the user's current email was proven (a link, or a provider that vouched for it). */
  readonly emailVerified: boolean;
  /** How the session was signed in (RFC 8176 values). */
  readonly amr: readonly string[];
  readonly expiresAt: number;
  /** Sliding expiry; moved forward in memory on each use (the debouncer persists it). */
  idleExpiresAt: number;
}

/**
 * The LRU cache of validated sessions, keyed by session id (the token hash), bounded by entries and by a TTL that
 * bounds how stale a revocation made on another replica can be. A second, small LRU remembers well-formed tokens
 * the store does not know, so a flood of forged-but-well-formed tokens costs one store read each at most. An index
 * from user to cached sessions lets a role change or a disable evict a user's sessions at once.
 */
export class SessionCache {
  readonly #positive: LRUCache<string, CachedSession>;
  readonly #negative: LRUCache<string, true>;
  readonly #byUser = new Map<string, Set<string>>();
  /**
   * Per-user eviction counters: a store read that started before a role change or a disable must not put its
   * (older) answer into the cache after the eviction. Bounded; a counter that fell out means "no recent eviction".
   */
  readonly #generations = new LRUCache<string, number>({ max: 10_000 });
  readonly #metrics: Metrics;

  constructor(options: { maxEntries: number; ttlMs: number; negativeMaxEntries: number; negativeTtlMs: number; metrics: Metrics }) {
    this.#metrics = options.metrics;
    this.#positive = new LRUCache<string, CachedSession>({
      max: options.maxEntries,
      ttl: options.ttlMs,
      // Stale entries must never be served: a TTL expiry is a miss, and the store decides again.
      allowStale: false,
      updateAgeOnGet: false,
      dispose: (value, key) => {
        const ids = this.#byUser.get(value.userId);
        if (ids) {
          ids.delete(key);
          if (ids.size === 0) this.#byUser.delete(value.userId);
        }
      },
    });
    this.#negative = new LRUCache<string, true>({ max: options.negativeMaxEntries, ttl: options.negativeTtlMs });
  }

  get(sessionId: string): CachedSession | undefined {
    return this.#positive.get(sessionId);
  }

  /** Like get, without touching recency (a look that decides nothing about the session: admission's priority). */
  peek(sessionId: string): CachedSession | undefined {
    return this.#positive.peek(sessionId);
  }

  /** The user's eviction counter, taken before a store read and handed back to `setIfCurrent`. */
  generation(userId: string): number {
    return this.#generations.get(userId) ?? 0;
  }

  /**
   * Caches a freshly read session unless it was revoked (remembered as unknown) or its user evicted while the read
   * was in flight: then the read's answer is already stale and the next request must read again.
   */
  setIfCurrent(entry: CachedSession, generationBefore: number): boolean {
    if (this.#negative.has(entry.sessionId) || this.generation(entry.userId) !== generationBefore) return false;
    this.set(entry);
    return true;
  }

  set(entry: CachedSession): void {
    this.#positive.set(entry.sessionId, entry);
    let ids = this.#byUser.get(entry.userId);
    if (!ids) this.#byUser.set(entry.userId, (ids = new Set()));
    ids.add(entry.sessionId);
    this.#metrics.sessionCacheEntries.set(this.#positive.size);
  }

  isKnownUnknown(sessionId: string): boolean {
    return this.#negative.has(sessionId);
  }

  rememberUnknown(sessionId: string): void {
    this.#negative.set(sessionId, true);
  }

  /** Drops one session (revoked, expired); it is also remembered as unknown so it is refused without a read. */
  evictSession(sessionId: string): void {
    this.#positive.delete(sessionId);
    this.#metrics.sessionCacheEntries.set(this.#positive.size);
  }

  /** Drops every cached session of a user (roles changed, disabled, logged out everywhere). */
  evictUser(userId: string): void {
    this.#generations.set(userId, this.generation(userId) + 1);
    const ids = this.#byUser.get(userId);
    if (ids) for (const id of [...ids]) this.#positive.delete(id);
    this.#metrics.sessionCacheEntries.set(this.#positive.size);
  }

  /** Drops everything (e.g. after missing change notifications from other replicas). */
  clear(): void {
    this.#positive.clear();
    this.#negative.clear();
    this.#byUser.clear();
    this.#metrics.sessionCacheEntries.set(0);
  }

  get size(): number {
    return this.#positive.size;
  }
}

import { LRUCache } from 'lru-cache';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Store, User } from '../store/store.js';
import type { SessionsConfig } from './config-schema.js';
import type { TokenKeyRing } from './token-keys.js';
import { mintToken, verifyToken } from './token.js';
import { SessionCache, type CachedSession } from './session-cache.js';

/** Memberships a session carries into authorisation (filled in by the organizations concern). */
export type OrgLoader = (userId: string) => Promise<CachedSession['orgs']>;

export interface SessionServiceDeps {
  store: Store;
  config: SessionsConfig;
  keys: TokenKeyRing;
  metrics: Metrics;
  logger: Logger;
  /** Called on every validated use; the last-seen debouncer coalesces these into rare writes. */
  onActivity?: (userId: string, sessionId: string, now: number, idleExpiresAt: number) => void;
  loadOrgs?: OrgLoader;
  now?: () => number;
}

/**
 * Sessions: minting on login, validation on every request (cache first, store on a miss), revocation. Validation
 * order is cheapest-first: token shape and MAC (no I/O), the negative cache, the LRU cache, and only then the store;
 * concurrent misses for one session share a single store read.
 */
export class SessionService {
  readonly cache: SessionCache;
  readonly #deps: SessionServiceDeps;
  readonly #now: () => number;
  readonly #loading = new Map<string, Promise<CachedSession | undefined>>();
  /**
   * Tokens already proven ours (MAC checked) and mapped to their session id, so a cache hit costs a map lookup,
   * not an HMAC and a SHA-256. Only tokens of sessions that validated are remembered: garbage cannot fill it.
   */
  readonly #proven: LRUCache<string, string>;

  constructor(deps: SessionServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    const c = deps.config.cache;
    this.cache = new SessionCache({
      maxEntries: c.max_entries, ttlMs: c.ttl, negativeMaxEntries: c.negative_max_entries, negativeTtlMs: c.negative_ttl, metrics: deps.metrics,
    });
    this.#proven = new LRUCache<string, string>({ max: c.max_entries, ttl: c.ttl });
  }

  /** Starts a session for a user: always a fresh token (no fixation), stored as its hash. */
  async create(user: User, context: { userAgent?: string | undefined; clientIp?: string | undefined; amr?: readonly string[] }): Promise<{ token: string; sessionId: string; expiresAt: Date }> {
    const now = this.#now();
    const { token, sessionId } = mintToken(this.#deps.keys.signing);
    const expiresAt = new Date(now + this.#deps.config.lifetime);
    const idleExpiresAt = new Date(Math.min(now + this.#deps.config.idle_timeout, expiresAt.getTime()));
    await this.#deps.store.sessions.create({
      id: sessionId, userId: user.id, createdAt: new Date(now), expiresAt, idleExpiresAt,
      userAgent: context.userAgent?.slice(0, 512) ?? null, clientIp: context.clientIp ?? null, amr: context.amr ?? [],
    });
    return { token, sessionId, expiresAt };
  }

  /** The session id a token names if its shape and MAC are ours (no I/O), else undefined. */
  sessionIdOf(token: string): string | undefined {
    const verified = verifyToken(token, this.#deps.keys.verifying);
    return verified.ok ? verified.sessionId : undefined;
  }

  /**
   * Whether a token is one already proven ours whose session sits in the cache, live: no MAC, no I/O, no side effect
   * (no activity, no metrics). Admission asks it to let requests of signed-in users go before anonymous ones under
   * load; `validate` still decides whether the request passes.
   */
  recognises(token: string): boolean {
    const id = this.#proven.peek(token);
    if (id === undefined) return false;
    const entry = this.cache.peek(id);
    if (entry === undefined) return false;
    const now = this.#now();
    return now < entry.expiresAt && now < entry.idleExpiresAt;
  }

  /**
   * Validates a presented token. Undefined when it is not a live session; throws the store's typed error when a
   * cache miss cannot reach the store (the caller answers 503: we do not know, so we neither admit nor log out).
   */
  async validate(token: string): Promise<CachedSession | undefined> {
    return this.validateNow(token);
  }

  /**
   * `validate`, answered synchronously when no I/O is needed (a cached session, a refused token) and as a promise only
   * when the store must be read: the request path of a signed-in user then costs no promise and no microtask turn.
   * Throws (or rejects with) what `validate` rejects with.
   */
  validateNow(token: string): CachedSession | undefined | Promise<CachedSession | undefined> {
    const { metrics } = this.#deps;
    let id = this.#proven.get(token);
    const proven = id !== undefined;
    if (id === undefined) {
      const verified = verifyToken(token, this.#deps.keys.verifying);
      if (!verified.ok) {
        metrics.sessionTokensRejected.inc({ reason: verified.reason });
        return undefined;
      }
      id = verified.sessionId;
    }
    if (this.cache.isKnownUnknown(id)) {
      metrics.sessionTokensRejected.inc({ reason: 'unknown' });
      return undefined;
    }
    const now = this.#now();
    const entry = this.cache.get(id);
    if (entry) {
      metrics.sessionCacheHits.inc();
      return this.#admit(entry, token, id, proven, now);
    }
    metrics.sessionCacheMisses.inc();
    const sessionId = id;
    const loading = metrics.tracing.enabled ? metrics.tracing.inSpan('session lookup', undefined, () => this.#load(sessionId, now)) : this.#load(sessionId, now);
    return loading.then((loaded) => (loaded ? this.#admit(loaded, token, sessionId, proven, now) : undefined));
  }

  /** The checks and bookkeeping of a session found (cached or just read): lifetimes, the proven token, activity. */
  #admit(entry: CachedSession, token: string, id: string, proven: boolean, now: number): CachedSession | undefined {
    // Lifetimes are enforced on the cache path too: a cached entry is not a licence past its expiry.
    if (now >= entry.expiresAt || now >= entry.idleExpiresAt) {
      this.#deps.metrics.sessionTokensRejected.inc({ reason: 'expired' });
      this.cache.evictSession(id);
      return undefined;
    }
    if (!proven) this.#proven.set(token, id);
    entry.idleExpiresAt = Math.min(now + this.#deps.config.idle_timeout, entry.expiresAt);
    this.#deps.onActivity?.(entry.userId, id, now, entry.idleExpiresAt);
    return entry;
  }

  #load(id: string, now: number): Promise<CachedSession | undefined> {
    let pending = this.#loading.get(id);
    if (!pending) {
      pending = this.#read(id, now).finally(() => this.#loading.delete(id));
      this.#loading.set(id, pending);
    }
    return pending;
  }

  async #read(id: string, now: number, retried = false): Promise<CachedSession | undefined> {
    const { store, metrics } = this.#deps;
    const session = await store.sessions.get(id);
    if (!session) {
      metrics.sessionTokensRejected.inc({ reason: 'unknown' });
      this.cache.rememberUnknown(id);
      return undefined;
    }
    if (session.revokedAt !== null) {
      metrics.sessionTokensRejected.inc({ reason: 'revoked' });
      this.cache.rememberUnknown(id);
      return undefined;
    }
    if (now >= session.expiresAt.getTime() || now >= session.idleExpiresAt.getTime()) {
      metrics.sessionTokensRejected.inc({ reason: 'expired' });
      this.cache.rememberUnknown(id);
      return undefined;
    }
    const generation = this.cache.generation(session.userId);
    const user = await store.users.get(session.userId);
    if (!user || user.disabled) {
      metrics.sessionTokensRejected.inc({ reason: 'disabled' });
      return undefined;
    }
    const entry: CachedSession = {
      sessionId: id, userId: user.id, email: user.email, name: user.name ?? '', roles: user.roles,
      orgs: this.#deps.loadOrgs ? await this.#deps.loadOrgs(user.id) : [],
      emailVerified: user.emailVerifiedAt !== null, amr: session.amr,
      expiresAt: session.expiresAt.getTime(), idleExpiresAt: session.idleExpiresAt.getTime(),
    };
    if (this.cache.setIfCurrent(entry, generation)) return entry;
    // Revoked while we read: refuse. The user changed while we read (roles, disabled, memberships): read again,
    // once, so this request is judged on the new state and the cache never holds the old one.
    if (this.cache.isKnownUnknown(id) || retried) return undefined;
    return this.#read(id, now, true);
  }

  /** Ends one session here and in the store. */
  async revoke(sessionId: string): Promise<boolean> {
    this.cache.evictSession(sessionId);
    this.cache.rememberUnknown(sessionId);
    return this.#deps.store.sessions.revoke(sessionId, new Date(this.#now()));
  }

  /** Ends every session of a user (optionally but one) here and in the store. */
  async revokeUser(userId: string, exceptSessionId?: string): Promise<number> {
    const count = await this.#deps.store.sessions.revokeForUser(userId, { exceptId: exceptSessionId, at: new Date(this.#now()) });
    const keep = exceptSessionId === undefined ? undefined : this.cache.get(exceptSessionId);
    this.cache.evictUser(userId);
    if (keep) this.cache.set(keep);
    return count;
  }

  /** Forgets one session here only (revoked elsewhere): dropped from the cache and refused without a store read. */
  forget(sessionId: string): void {
    this.cache.evictSession(sessionId);
    this.cache.rememberUnknown(sessionId);
  }

  /** Forgets a user's cached sessions so the next request re-reads roles, memberships and the disabled flag. */
  evictUser(userId: string): void {
    this.cache.evictUser(userId);
  }
}

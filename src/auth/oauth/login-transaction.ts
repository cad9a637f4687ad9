import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LRUCache } from 'lru-cache';
import type { LoginAttemptsRepo, SettingsRepo } from '../../store/store.js';
import { clearCookie, serializeCookie, type CookieOptions } from '../../sessions/cookie.js';
import { OAuthFailure } from './provider.js';

/** How long a login may take from start to callback (RFC 9700 §2.1: short-lived, single-use). */
export const TRANSACTION_TTL_MS = 10 * 60_000;
/** Most login transactions one browser keeps open at once (parallel tabs); older ones are dropped at start. */
export const MAX_OPEN_TRANSACTIONS = 5;
/** Consumed states remembered in memory (the store counter below is the cross-replica record). */
const CONSUMED_MEMORY_MAX = 50_000;
const KEY_SETTING = 'oauth_transaction_key';
const STATE_SHAPE = /^[A-Za-z0-9_-]{16,128}$/;

/** One login in flight: what the callback needs to finish it, sealed into a cookie bound to the browser. */
export interface LoginTransaction {
  readonly provider: string;
  readonly state: string;
  readonly codeVerifier: string;
  readonly nonce?: string;
  /** Already passed through safeRedirectTarget at start; checked again at the end. */
  readonly rd: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/**
 * Seals login transactions into short-lived cookies and opens them again at the callback.
 *
 * - Integrity and secrecy: AES-256-GCM with a key kept in the store's settings (put-if-absent, so every replica
 *   shares it); the cookie name is bound in as additional data, so a sealed value cannot be moved to another name.
 * - Parallel tabs: one cookie per transaction, named after a hash of its state (`<prefix>-oauth-<16 hex>`), so
 *   two logins in two tabs never overwrite each other.
 * - Single use: the callback clears the cookie and records the state as consumed, in memory and in the store's
 *   shared counters (LoginAttemptsRepo, keyed `oauth-state:<hash>`), so a replayed callback fails on any replica.
 * - Cookies are SameSite=Lax: the callback is a top-level cross-site GET from the provider, which Strict would
 *   strip. Names start with `__Host-gatehouse`/`gatehouse-`, so the proxy never forwards them upstream.
 */
export class TransactionSealer {
  readonly #key: Buffer;
  readonly #prefix: string;
  readonly #cookie: CookieOptions;
  readonly #consumed = new LRUCache<string, true>({ max: CONSUMED_MEMORY_MAX, ttl: TRANSACTION_TTL_MS });

  private constructor(key: Buffer, secure: boolean, private readonly attempts: LoginAttemptsRepo, private readonly now: () => number) {
    this.#key = key;
    this.#prefix = secure ? '__Host-gatehouse-oauth-' : 'gatehouse-oauth-';
    this.#cookie = { secure, sameSite: 'Lax', maxAgeSeconds: TRANSACTION_TTL_MS / 1000 };
  }

  /** Loads (or creates, once for all replicas) the sealing key. */
  static async create(options: { settings: SettingsRepo; attempts: LoginAttemptsRepo; secure: boolean; now?: () => number }): Promise<TransactionSealer> {
    const stored = await options.settings.putIfAbsent(KEY_SETTING, randomBytes(32).toString('base64'));
    const key = Buffer.from(stored, 'base64');
    if (key.length !== 32) throw new Error(`setting ${KEY_SETTING} does not hold a 32-byte key`);
    return new TransactionSealer(key, options.secure, options.attempts, options.now ?? (() => Date.now()));
  }

  /** The cookie name a state's transaction lives in. */
  cookieName(state: string): string {
    return this.#prefix + createHash('sha256').update(state).digest('hex').slice(0, 16);
  }

  /** The Set-Cookie values for a new transaction, plus deletions of the oldest open ones beyond the bound. */
  seal(req: IncomingMessage, tx: LoginTransaction): string[] {
    const name = this.cookieName(tx.state);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(name));
    const plain = JSON.stringify({ v: 1, p: tx.provider, s: tx.state, c: tx.codeVerifier, n: tx.nonce ?? null, r: tx.rd, e: tx.expiresAt });
    const sealed = Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64url');
    const out = [serializeCookie(name, sealed, this.#cookie)];
    // Bound the cookies a browser accumulates (each start adds one): drop the oldest and any that no longer open.
    const open = this.#openCookies(req).filter((c) => c.name !== name);
    const live = open.filter((c) => c.tx !== undefined).sort((a, b) => a.tx!.expiresAt - b.tx!.expiresAt);
    const drop = [...open.filter((c) => c.tx === undefined), ...live.slice(0, Math.max(0, live.length - (MAX_OPEN_TRANSACTIONS - 1)))];
    for (const c of drop) out.push(this.clear(c.name));
    return out;
  }

  /** A Set-Cookie value that deletes a transaction cookie. */
  clear(name: string): string {
    return clearCookie(name, this.#cookie);
  }

  /**
   * Finds and checks the transaction the callback's `state` names; throws OAuthFailure (state_missing,
   * state_mismatch, transaction_expired, provider_mismatch). Returns the cookie name so the caller can clear it.
   */
  open(req: IncomingMessage, state: string | null, providerId: string): { tx: LoginTransaction; cookieName: string } {
    if (state === null || state === '') throw new OAuthFailure('state_missing', 'the callback carries no state');
    if (!STATE_SHAPE.test(state)) throw new OAuthFailure('state_mismatch', 'the state has an unexpected shape');
    const cookieName = this.cookieName(state);
    const value = readAllCookies(req.headers.cookie).get(cookieName);
    if (value === undefined) throw new OAuthFailure('state_mismatch', 'no login transaction for this state in this browser');
    const tx = this.#unseal(cookieName, value);
    if (tx === undefined) throw new OAuthFailure('state_mismatch', 'the transaction cookie failed its integrity check');
    const a = Buffer.from(tx.state);
    const b = Buffer.from(state);
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw new OAuthFailure('state_mismatch', 'the state differs from the transaction');
    if (tx.expiresAt <= this.now()) throw new OAuthFailure('transaction_expired', 'the login transaction expired');
    // RFC 9700 §4.4 (mix-up): a transaction started with one provider is only ever finished by that provider.
    if (tx.provider !== providerId) throw new OAuthFailure('provider_mismatch', `transaction was started for provider ${tx.provider}`);
    return { tx, cookieName };
  }

  /** Marks a state consumed; throws OAuthFailure('replayed') when it already was (on this or any replica). */
  async consume(state: string): Promise<void> {
    const key = `oauth-state:${createHash('sha256').update(state).digest('base64url')}`;
    if (this.#consumed.has(key)) throw new OAuthFailure('replayed', 'this state was already used (memory)');
    this.#consumed.set(key, true);
    const counts = await this.attempts.increment([key], TRANSACTION_TTL_MS, new Date(this.now()));
    if ((counts.get(key) ?? 0) > 1) throw new OAuthFailure('replayed', 'this state was already used (store)');
  }

  #unseal(name: string, value: string): LoginTransaction | undefined {
    try {
      const raw = Buffer.from(value, 'base64url');
      if (raw.length < 12 + 16 + 2) return undefined;
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(name));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
      const o = JSON.parse(plain) as Record<string, unknown>;
      if (o['v'] !== 1 || typeof o['p'] !== 'string' || typeof o['s'] !== 'string' || typeof o['c'] !== 'string' ||
        typeof o['r'] !== 'string' || typeof o['e'] !== 'number' || (o['n'] !== null && typeof o['n'] !== 'string')) return undefined;
      return {
        provider: o['p'], state: o['s'], codeVerifier: o['c'], rd: o['r'], expiresAt: o['e'],
        ...(typeof o['n'] === 'string' ? { nonce: o['n'] } : {}),
      };
    } catch {
      return undefined;
    }
  }

  #openCookies(req: IncomingMessage): { name: string; tx: LoginTransaction | undefined }[] {
    const out: { name: string; tx: LoginTransaction | undefined }[] = [];
    for (const [name, value] of readAllCookies(req.headers.cookie)) {
      if (!name.startsWith(this.#prefix)) continue;
      const tx = this.#unseal(name, value);
      out.push({ name, tx: tx !== undefined && tx.expiresAt > this.now() ? tx : undefined });
    }
    return out;
  }
}

/** Every cookie in a Cookie header, first occurrence of each name (RFC 6265 §5.4 order). */
function readAllCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (header === undefined) return out;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    const name = pair.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, pair.slice(eq + 1).trim());
  }
  return out;
}

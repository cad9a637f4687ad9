import { canonicalEmail } from '../store/canonical-email.js';
import type { LoginAttemptsRepo } from '../store/store.js';
import type { AuthConfig } from './config-schema.js';

/** The throttle's verdict before a login is tried. */
export type ThrottleVerdict = { allowed: true } | { allowed: false; scope: 'account' | 'ip'; retryAfterSeconds: number };

/**
 * Brute-force throttling: failed logins are counted per canonical account (store/canonical-email.ts, the form the
 * store looks accounts up by, so one address is one counter) and per client IP in a fixed window kept in the store,
 * so every replica sharing the database sees the same counts. The check runs before any hashing, so an attacker
 * past the limit cannot buy Argon2 time (OWASP ASVS 2.2.1).
 */
export class LoginThrottle {
  readonly #repo: LoginAttemptsRepo;
  readonly #config: AuthConfig['throttle'];

  constructor(repo: LoginAttemptsRepo, config: AuthConfig['throttle']) {
    this.#repo = repo;
    this.#config = config;
  }

  static accountKey(email: string): string {
    return `acct:${canonicalEmail(email)}`;
  }

  static ipKey(ip: string): string {
    return `ip:${ip}`;
  }

  /** Whether a login for this account from this IP may be tried now. */
  async check(email: string, ip: string): Promise<ThrottleVerdict> {
    const account = LoginThrottle.accountKey(email);
    const address = LoginThrottle.ipKey(ip);
    const counts = await this.#repo.get([account, address], this.#config.window);
    const retryAfterSeconds = Math.ceil(this.#config.window / 1000);
    if ((counts.get(account) ?? 0) >= this.#config.max_failures_per_account) return { allowed: false, scope: 'account', retryAfterSeconds };
    if ((counts.get(address) ?? 0) >= this.#config.max_failures_per_ip) return { allowed: false, scope: 'ip', retryAfterSeconds };
    return { allowed: true };
  }

  /** Counts one failure against the account and the IP. */
  async recordFailure(email: string, ip: string): Promise<void> {
    await this.#repo.increment([LoginThrottle.accountKey(email), LoginThrottle.ipKey(ip)], this.#config.window);
  }

  /** A successful login clears the account's count (not the IP's: one good password must not unlock a spray). */
  async recordSuccess(email: string): Promise<void> {
    await this.#repo.clear(LoginThrottle.accountKey(email));
  }
}

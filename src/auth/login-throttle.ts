import { GatehouseError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { canonicalEmail } from '../store/canonical-email.js';
import type { LoginAttemptsRepo } from '../store/store.js';
import type { AuthConfig } from './config-schema.js';

/** The throttle's verdict before a login is tried. */
export type ThrottleVerdict = { allowed: true } | { allowed: false; scope: 'account' | 'ip'; retryAfterSeconds: number };

/**
 * After a counter could not be read or written, password attempts are refused with 503 for this long: a store that
 * takes reads but refuses writes must not become a free, uncounted guessing window.
 */
const DEGRADED_MS = 5_000;

/**
 * Brute-force throttling: failed logins are counted per canonical account (store/canonical-email.ts, the form the
 * store looks accounts up by, so one address is one counter) and per client IP in a fixed window kept in the store,
 * so every replica sharing the database sees the same counts. The check runs before any hashing, so an attacker
 * past the limit cannot buy Argon2 time (OWASP ASVS 2.2.1).
 *
 * A counter that cannot be read or written never turns into a 500: the attempt is answered 503 with Retry-After
 * (`GATE_ERR_THROTTLE_UNAVAILABLE`), logged and counted (`gatehouse_login_throttle_errors_total`), and for a few
 * seconds after a failed write every password attempt on this replica gets the same 503 (fail closed: an attempt
 * that cannot be counted is not tried).
 */
export class LoginThrottle {
  readonly #repo: LoginAttemptsRepo;
  readonly #config: AuthConfig['throttle'];
  readonly #metrics: Pick<Metrics, 'loginThrottleErrors'> | undefined;
  readonly #logger: Logger | undefined;
  #refuseUntil = 0;

  constructor(repo: LoginAttemptsRepo, config: AuthConfig['throttle'], observe?: { metrics: Pick<Metrics, 'loginThrottleErrors'>; logger: Logger }) {
    this.#repo = repo;
    this.#config = config;
    this.#metrics = observe?.metrics;
    this.#logger = observe?.logger;
  }

  static accountKey(email: string): string {
    return `acct:${canonicalEmail(email)}`;
  }

  static ipKey(ip: string): string {
    return `ip:${ip}`;
  }

  /** Whether a login for this account from this IP may be tried now (503 while the counters cannot be used). */
  async check(email: string, ip: string): Promise<ThrottleVerdict> {
    this.#refuseIfDegraded();
    const account = LoginThrottle.accountKey(email);
    const address = LoginThrottle.ipKey(ip);
    let counts: Map<string, number>;
    try {
      counts = await this.#repo.get([account, address], this.#config.window);
    } catch (err) {
      throw this.#failed('check', err);
    }
    const retryAfterSeconds = Math.ceil(this.#config.window / 1000);
    if ((counts.get(account) ?? 0) >= this.#config.max_failures_per_account) return { allowed: false, scope: 'account', retryAfterSeconds };
    if ((counts.get(address) ?? 0) >= this.#config.max_failures_per_ip) return { allowed: false, scope: 'ip', retryAfterSeconds };
    return { allowed: true };
  }

  /** Counts one failure against the account and the IP; 503 (never 500) when it cannot be counted. */
  async recordFailure(email: string, ip: string): Promise<void> {
    try {
      await this.#repo.increment([LoginThrottle.accountKey(email), LoginThrottle.ipKey(ip)], this.#config.window);
    } catch (err) {
      this.#refuseUntil = Date.now() + DEGRADED_MS;
      throw this.#failed('record', err);
    }
  }

  /**
   * A successful login clears the account's count (not the IP's: one good password must not unlock a spray). A
   * clear that fails is logged and counted, and the login goes on: the count expires with its window anyway.
   */
  async recordSuccess(email: string): Promise<void> {
    try {
      await this.#repo.clear(LoginThrottle.accountKey(email));
    } catch (err) {
      this.#failed('clear', err);
    }
  }

  #refuseIfDegraded(): void {
    const wait = this.#refuseUntil - Date.now();
    if (wait > 0) throw new GatehouseError('GATE_ERR_THROTTLE_UNAVAILABLE', undefined, { retryAfterSeconds: Math.ceil(wait / 1000) });
  }

  #failed(operation: 'check' | 'record' | 'clear', err: unknown): GatehouseError {
    this.#metrics?.loginThrottleErrors.inc();
    this.#logger?.error({ err: (err as Error)?.message, code: (err as { code?: unknown })?.code, operation }, 'login throttle counter failed');
    return new GatehouseError('GATE_ERR_THROTTLE_UNAVAILABLE', undefined, { cause: err, retryAfterSeconds: Math.ceil(DEGRADED_MS / 1000) });
  }
}

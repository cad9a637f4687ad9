import { GatehouseError, isGatehouseError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { canonicalEmail } from '../store/canonical-email.js';
import type { AttemptWindow, LoginAttemptsRepo } from '../store/store.js';
import type { AuthConfig } from './config-schema.js';

/** The throttle's verdict before a login is tried. */
export type ThrottleVerdict = { allowed: true } | { allowed: false; scope: 'account' | 'ip'; retryAfterSeconds: number };

/** Who is trying: the account named, the client's IP, and the proof of a known device when there is one. */
export interface LoginAttempt {
  readonly email: string;
  readonly ip: string;
  /**
   * A trusted device: the nonce of a valid device cookie for this account (auth/device-cookie.ts), or a session of
   * the account (a signed-in user re-entering their password). Its own failures are counted apart.
   */
  readonly device?: string | undefined;
}

/**
 * After a counter could not be read or written, password attempts are refused with 503 for this long: a store that
 * takes reads but refuses writes must not become a free, uncounted guessing window.
 */
const DEGRADED_MS = 5_000;

/**
 * Brute-force throttling without a lockout anyone can trigger (OWASP Authentication and Credential Stuffing cheat
 * sheets; Authelia's `regulation` bans the user for `ban_time`, which is exactly the denial of service avoided here).
 * Failures are counted in fixed windows kept in the store (every replica sharing it sees the same counts), per client
 * IP, per canonical account (store/canonical-email.ts) and per trusted device, and checked before any hashing, so an
 * attacker refused cannot buy Argon2 time (OWASP ASVS 2.2.1):
 *
 * 1. **Per IP first**: past `max_failures_per_ip` in the window, 429 with Retry-After until the window ends.
 * 2. **A trusted device is not slowed by others**: a browser holding a device cookie for this account (it signed in
 *    with the password before) is judged by its own failures only (`max_failures_per_device`), whatever strangers do
 *    to the account.
 * 3. **Per account, a slowdown, not a lock**: past `max_failures_per_account`, attempts from anywhere else are paced:
 *    one attempt per delay, the delay doubling from `account_delay` to at most `account_delay_max`; an attempt
 *    earlier than that gets 429 with Retry-After for the rest of the delay. Of concurrent attempts one claims the
 *    slot (LoginAttemptsRepo.claim), so parallel requests do not multiply the rate. The owner can always get in from
 *    a known browser, and from a new one within `account_delay_max`.
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

  static deviceKey(device: string): string {
    return `device:${device}`;
  }

  /** The pause an account past its limit imposes between attempts after `failures` failures. */
  delayAfter(failures: number): number {
    const over = failures - this.#config.max_failures_per_account;
    if (over < 0) return 0;
    return Math.min(this.#config.account_delay_max, this.#config.account_delay * 2 ** Math.min(over, 30));
  }

  /** Whether this attempt may be tried now (503 while the counters cannot be used). */
  async check(attempt: LoginAttempt): Promise<ThrottleVerdict> {
    this.#refuseIfDegraded();
    const { window } = this.#config;
    const account = LoginThrottle.accountKey(attempt.email);
    const address = LoginThrottle.ipKey(attempt.ip);
    const device = attempt.device === undefined ? undefined : LoginThrottle.deviceKey(attempt.device);
    const now = Date.now();
    let windows: Map<string, AttemptWindow>;
    try {
      windows = await this.#repo.windows(device === undefined ? [address, account] : [address, account, device], window, new Date(now));
    } catch (err) {
      throw this.#failed('check', err);
    }
    const ipWindow = windows.get(address);
    if (ipWindow !== undefined && ipWindow.failures >= this.#config.max_failures_per_ip) {
      return { allowed: false, scope: 'ip', retryAfterSeconds: seconds(ipWindow.windowStart.getTime() + window - now) };
    }
    if (device !== undefined && (windows.get(device)?.failures ?? 0) < this.#config.max_failures_per_device) return { allowed: true };
    const accountWindow = windows.get(account);
    if (accountWindow === undefined || accountWindow.failures < this.#config.max_failures_per_account) return { allowed: true };
    const delay = this.delayAfter(accountWindow.failures);
    const next = accountWindow.lastFailureAt.getTime() + delay;
    if (now < next) return { allowed: false, scope: 'account', retryAfterSeconds: seconds(next - now) };
    let claimed: boolean;
    try {
      claimed = await this.#repo.claim(account, accountWindow.lastFailureAt, new Date(now));
    } catch (err) {
      throw this.#failed('check', err);
    }
    return claimed ? { allowed: true } : { allowed: false, scope: 'account', retryAfterSeconds: seconds(delay) };
  }

  /** Counts one failure against the IP, the account and the device; 503 (never 500) when it cannot be counted. */
  async recordFailure(attempt: LoginAttempt): Promise<void> {
    const keys = [LoginThrottle.accountKey(attempt.email), LoginThrottle.ipKey(attempt.ip)];
    if (attempt.device !== undefined) keys.push(LoginThrottle.deviceKey(attempt.device));
    try {
      await this.#repo.increment(keys, this.#config.window);
    } catch (err) {
      // A store that is down or busy refuses everything anyway (its own 503); one that reads but refuses this write
      // would otherwise let guesses through uncounted: refuse password attempts here for a while.
      if (!isStoreUnavailable(err)) this.#refuseUntil = Date.now() + DEGRADED_MS;
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
    // The store's own "down" or "busy" is already a 503 with Retry-After that says what is wrong: keep it.
    if (isStoreUnavailable(err)) return err as GatehouseError;
    return new GatehouseError('GATE_ERR_THROTTLE_UNAVAILABLE', undefined, { cause: err, retryAfterSeconds: Math.ceil(DEGRADED_MS / 1000) });
  }
}

/** Whole seconds for Retry-After, at least 1. */
function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** Whether an error is the store saying it is down or busy (a 503 of its own). */
function isStoreUnavailable(err: unknown): boolean {
  return isGatehouseError(err) && (err.code === 'GATE_ERR_STORE_DOWN' || err.code === 'GATE_ERR_STORE_BUSY');
}

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { canonicalEmail } from '../store/canonical-email.js';
import type { SettingsRepo } from '../store/store.js';
import { readCookie, serializeCookie } from '../sessions/cookie.js';

const KEY_SETTING = 'device_cookie_key';
const VERSION = 'd1';

/**
 * OWASP's device cookies (Forgot/Authentication cheat sheets, "Slow Down Online Guessing Attacks with Device
 * Cookies"): after a correct password, the browser gets a signed cookie `d1.<nonce>.<issued>.<mac>` whose MAC covers
 * the account's canonical email, so it proves "this browser signed in to this account before" without naming the
 * account. The login throttle lets such a browser keep trying while strangers' failures slow the account down, and
 * counts the cookie's own failures apart (auth/login-throttle.ts). One cookie per browser: the latest account
 * signed in to.
 *
 * The MAC key is random, kept in the store's settings (put-if-absent, so replicas agree), read once.
 */
export class DeviceCookies {
  readonly name: string;
  readonly #settings: SettingsRepo;
  readonly #secure: boolean;
  readonly #lifetimeMs: number;
  #key: Promise<Buffer> | undefined;

  constructor(settings: SettingsRepo, options: { secure: boolean; lifetimeMs: number }) {
    this.#settings = settings;
    this.#secure = options.secure;
    this.#lifetimeMs = options.lifetimeMs;
    // __Host- needs Secure; on plain-http development hosts the cookie goes without the prefix (like the session's).
    this.name = options.secure ? '__Host-gatehouse-device' : 'gatehouse-device';
  }

  /** A Set-Cookie value marking this browser as one that signed in to `email`. */
  async issue(email: string, now = Date.now()): Promise<string> {
    const nonce = randomBytes(16).toString('base64url');
    const issued = now.toString(36);
    const value = `${VERSION}.${nonce}.${issued}.${await this.#mac(nonce, issued, email)}`;
    return serializeCookie(this.name, value, { secure: this.#secure, sameSite: 'Strict', maxAgeSeconds: this.#lifetimeMs / 1000 });
  }

  /** The device's nonce when the request carries a valid, unexpired device cookie for `email`; otherwise undefined. */
  async verify(req: IncomingMessage, email: string, now = Date.now()): Promise<string | undefined> {
    const value = readCookie(req.headers.cookie, this.name);
    const m = value === undefined ? null : /^d1\.([A-Za-z0-9_-]{22})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})$/.exec(value);
    if (m === null) return undefined;
    const [, nonce, issued, mac] = m as unknown as [string, string, string, string];
    const issuedAt = parseInt(issued, 36);
    if (!(issuedAt <= now && now - issuedAt < this.#lifetimeMs)) return undefined;
    const expected = Buffer.from(await this.#mac(nonce, issued, email));
    const given = Buffer.from(mac);
    return expected.length === given.length && timingSafeEqual(expected, given) ? nonce : undefined;
  }

  async #mac(nonce: string, issued: string, email: string): Promise<string> {
    this.#key ??= this.#settings.putIfAbsent(KEY_SETTING, randomBytes(32).toString('base64')).then((k) => Buffer.from(k, 'base64'));
    const key = await this.#key.catch((err: unknown) => {
      this.#key = undefined;
      throw err;
    });
    return createHmac('sha256', key).update(`${VERSION}.${nonce}.${issued}.${canonicalEmail(email)}`).digest().subarray(0, 16).toString('base64url');
  }
}

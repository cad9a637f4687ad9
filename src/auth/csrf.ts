import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { GatehouseError } from '../errors/index.js';
import { readCookie, serializeCookie, type CookieOptions } from '../sessions/cookie.js';
import type { ParsedBody } from '../http/request-body.js';

/**
 * CSRF protection for Gatehouse's own forms: a random token in a SameSite=Strict `__Host-` cookie and the same token
 * in a hidden field (double submit, OWASP CSRF cheat sheet). A cross-site page can make the browser send the cookie
 * only on top-level navigations it cannot read, and it cannot read or set the cookie to learn the field value.
 * JSON requests need no token: browsers cannot send `application/json` cross-site without a CORS preflight, which
 * Gatehouse never grants. Both kinds also fail when an Origin header names another site.
 */
export class CsrfGuard {
  readonly #cookieName: string;
  readonly #cookie: CookieOptions;
  readonly #origin: string;

  constructor(options: { secure: boolean; publicUrl: string }) {
    this.#cookieName = options.secure ? '__Host-gatehouse-csrf' : 'gatehouse-csrf';
    this.#cookie = { secure: options.secure, sameSite: 'Strict', maxAgeSeconds: 3600 };
    this.#origin = new URL(options.publicUrl).origin;
  }

  /** A token for a form, reusing the browser's current one when it has one; returns the Set-Cookie to send. */
  issue(req: IncomingMessage): { token: string; setCookie: string } {
    const existing = readCookie(req.headers.cookie, this.#cookieName);
    const token = existing !== undefined && /^[A-Za-z0-9_-]{43}$/.test(existing) ? existing : randomBytes(32).toString('base64url');
    return { token, setCookie: serializeCookie(this.#cookieName, token, this.#cookie) };
  }

  /** Throws GATE_ERR_CSRF unless the request comes from this site (and, for forms, carries the matching token). */
  check(req: IncomingMessage, body: ParsedBody): void {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null' && origin !== this.#origin && !sameHostOrigin(origin, req.headers.host)) {
      throw new GatehouseError('GATE_ERR_CSRF', undefined, { detail: `origin ${origin}` });
    }
    // Browsers send "Origin: null" for forms on pages with a no-referrer policy (and from sandboxed frames): such a
    // form must still prove itself with the token below; a JSON request with an opaque origin has nothing to show.
    if (body.kind === 'json') {
      if (origin === 'null') throw new GatehouseError('GATE_ERR_CSRF', undefined, { detail: 'opaque origin' });
      return;
    }
    const cookie = readCookie(req.headers.cookie, this.#cookieName);
    const field = body.fields.get('csrf');
    if (cookie === undefined || field === null || cookie.length !== field.length ||
        !timingSafeEqual(Buffer.from(cookie), Buffer.from(field))) {
      throw new GatehouseError('GATE_ERR_CSRF');
    }
  }
}

function sameHostOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

import type { SessionsConfig } from './config-schema.js';

/** Reads one cookie's value from a Cookie header (the first occurrence; RFC 6265 §5.4 orders by path then age). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) {
      const value = header.slice(eq + 1, end).trim();
      return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
    }
    start = end + 1;
  }
  return undefined;
}

/** Attributes shared by every cookie Gatehouse sets. */
export interface CookieOptions {
  readonly secure: boolean;
  readonly sameSite: 'Lax' | 'Strict' | 'None';
  readonly maxAgeSeconds?: number;
  /** `Domain=`: the session cookie only, when `sessions.cookie.domain` shares it with subdomains. */
  readonly domain?: string;
}

/**
 * Serialises a Set-Cookie value. Always HttpOnly and Path=/, and no Domain unless one is configured: with Secure
 * that is exactly what a `__Host-` name requires (RFC 6265bis §4.1.3.2), so the cookie is bound to this host and no
 * subdomain can set it. With a Domain (forward-auth over several subdomains) every host under it receives the
 * cookie, and any of them could set one: the name is then `__Secure-` (it still proves Secure was set).
 */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  let out = `${name}=${value}; Path=/; HttpOnly; SameSite=${options.sameSite}`;
  if (options.domain !== undefined) out += `; Domain=${options.domain}`;
  if (options.secure) out += '; Secure';
  if (options.maxAgeSeconds !== undefined) out += `; Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`;
  return out;
}

/** A Set-Cookie value that deletes the cookie. */
export function clearCookie(name: string, options: CookieOptions): string {
  return `${serializeCookie(name, '', { ...options, maxAgeSeconds: 0 })}; Expires=Thu, 01 Jan 1970 00:00:00 GMT`;
}

/**
 * Set-Cookie values that end the session cookie wherever it may live: on the configured domain and on this host
 * alone (a cookie set before `sessions.cookie.domain` was configured, or by a host-only login). Browsers keep the
 * two apart (RFC 6265 §5.3 step 11), so a logout clears both.
 */
export function clearSessionCookie(name: string, options: CookieOptions): string[] {
  if (options.domain === undefined) return [clearCookie(name, options)];
  const { domain: _domain, ...hostOnly } = options;
  return [clearCookie(name, options), clearCookie(name, hostOnly)];
}

/** The session cookie's attributes from config. */
export function sessionCookieOptions(config: SessionsConfig): CookieOptions {
  const sameSite = config.cookie.same_site === 'lax' ? 'Lax' : config.cookie.same_site === 'strict' ? 'Strict' : 'None';
  return { secure: config.cookie.secure || sameSite === 'None', sameSite, ...(config.cookie.domain === undefined ? {} : { domain: config.cookie.domain }) };
}

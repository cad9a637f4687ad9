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
}

/**
 * Serialises a Set-Cookie value. Always HttpOnly and Path=/, never Domain: with Secure that is exactly what a
 * `__Host-` name requires (RFC 6265bis §4.1.3.2), so the cookie is bound to this host and no subdomain can set it.
 */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  let out = `${name}=${value}; Path=/; HttpOnly; SameSite=${options.sameSite}`;
  if (options.secure) out += '; Secure';
  if (options.maxAgeSeconds !== undefined) out += `; Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`;
  return out;
}

/** A Set-Cookie value that deletes the cookie. */
export function clearCookie(name: string, options: CookieOptions): string {
  return `${serializeCookie(name, '', { ...options, maxAgeSeconds: 0 })}; Expires=Thu, 01 Jan 1970 00:00:00 GMT`;
}

/** The session cookie's attributes from config. */
export function sessionCookieOptions(config: SessionsConfig): CookieOptions {
  const sameSite = config.cookie.same_site === 'lax' ? 'Lax' : config.cookie.same_site === 'strict' ? 'Strict' : 'None';
  return { secure: config.cookie.secure || sameSite === 'None', sameSite };
}

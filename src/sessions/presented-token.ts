import type { IncomingHttpHeaders } from 'node:http';
import { readCookie } from './cookie.js';

/**
 * The token of an `Authorization: Bearer` header: undefined when the header is absent or not a bearer credential
 * (another scheme goes on to the cookie), '' when it says Bearer but carries nothing (a credential that does not hold).
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization !== undefined && authorization.length > 7 && authorization.slice(0, 7).toLowerCase() === 'bearer ') {
    return authorization.slice(7).trim();
  }
  return undefined;
}

/** The session token a request presents: `Authorization: Bearer` first (API clients), then the session cookie. */
export function presentedToken(req: { headers: IncomingHttpHeaders }, cookieName: string): string | undefined {
  return bearerToken(req.headers.authorization) ?? readCookie(req.headers.cookie, cookieName);
}

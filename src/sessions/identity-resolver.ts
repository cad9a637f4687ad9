import type { IncomingMessage } from 'node:http';
import type { Identity, IdentityResolver } from '../policy/identity.js';
import type { SessionService } from './session-service.js';
import type { CachedSession } from './session-cache.js';
import { readCookie } from './cookie.js';

/** The session token a request presents: `Authorization: Bearer` first (API clients), then the session cookie. */
export function presentedToken(req: IncomingMessage, cookieName: string): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') return auth.slice(7).trim();
  return readCookie(req.headers.cookie, cookieName);
}

/** Resolves identities from session tokens through the session service (cache first). */
export function sessionIdentityResolver(sessions: SessionService, cookieName: string): IdentityResolver {
  // One Identity object per cached entry, so what is derived from it (identity headers) can be remembered too.
  const identities = new WeakMap<CachedSession, Identity>();
  return {
    async resolve(req: IncomingMessage): Promise<Identity | undefined> {
      const token = presentedToken(req, cookieName);
      if (token === undefined || token === '') return undefined;
      const entry = await sessions.validate(token);
      if (!entry) return undefined;
      let identity = identities.get(entry);
      if (identity === undefined) {
        identity = { userId: entry.userId, email: entry.email, name: entry.name, roles: entry.roles, orgs: entry.orgs,
          emailVerified: entry.emailVerified, amr: entry.amr, sessionId: entry.sessionId };
        identities.set(entry, identity);
      }
      return identity;
    },
  };
}

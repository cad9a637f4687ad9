import { readCookie } from '../../sessions/cookie.js';
import { bearerToken } from '../../sessions/presented-token.js';
import type { CachedSession } from '../../sessions/session-cache.js';
import type { SessionService } from '../../sessions/session-service.js';
import { ABSENT, type Authenticator } from './authenticate.js';
import type { Identity } from './identity.js';

/**
 * The two session-token authenticators (a token in `Authorization: Bearer` for API clients, the session cookie for
 * browsers), both validated by the session service: token shape and MAC first, then the caches, the store last.
 * They share one Identity object per cached session, so what is derived from it (identity headers) is derived once.
 */
export function sessionAuthenticators(sessions: Pick<SessionService, 'validateNow' | 'recognises'>, cookieName: string): { bearer: Authenticator; cookie: Authenticator } {
  const identities = new WeakMap<CachedSession, Identity>();
  const identityOf = (entry: CachedSession | undefined): Identity | undefined => {
    if (entry === undefined) return undefined;
    let identity = identities.get(entry);
    if (identity === undefined) {
      identity = { userId: entry.userId, email: entry.email, name: entry.name, roles: entry.roles, orgs: entry.orgs,
        emailVerified: entry.emailVerified, amr: entry.amr, sessionId: entry.sessionId };
      identities.set(entry, identity);
    }
    return identity;
  };
  // A cached session is answered without a promise (validateNow); only a store read makes this asynchronous.
  const validate = (token: string): Identity | undefined | Promise<Identity | undefined> => {
    if (token === '') return undefined;
    const entry = sessions.validateNow(token);
    return entry instanceof Promise ? entry.then(identityOf) : identityOf(entry);
  };
  return {
    bearer: {
      name: 'bearer',
      authenticate(headers) {
        const token = bearerToken(headers.authorization);
        return token === undefined ? ABSENT : validate(token);
      },
      recognise(headers) {
        const token = bearerToken(headers.authorization);
        return token === undefined ? ABSENT : sessions.recognises(token);
      },
    },
    cookie: {
      name: 'cookie',
      authenticate(headers) {
        const token = readCookie(headers.cookie, cookieName);
        return token === undefined ? ABSENT : validate(token);
      },
      recognise(headers) {
        const token = readCookie(headers.cookie, cookieName);
        return token === undefined ? ABSENT : sessions.recognises(token);
      },
    },
  };
}

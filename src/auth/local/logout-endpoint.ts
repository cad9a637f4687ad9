import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EndpointContext } from '../../http/endpoint-router.js';
import { page, sendHtml, escapeHtml } from '../../http/respond.js';
import { clearSessionCookie } from '../../sessions/cookie.js';
import { presentedToken } from '../../sessions/presented-token.js';
import type { AuthDeps } from '../auth-deps.js';
import { readParsedBody, stringField } from '../../http/request-body.js';
import { safeRedirectTarget } from '../redirect-target.js';

/**
 * POST /.gatehouse/logout: ends the session in the store and in this replica's cache, clears the cookie; 204 for
 * JSON, 303 to `rd` for forms. Never on GET (a link or an <img> must not log anyone out): GET shows a confirm form.
 */
export function logoutEndpoint(deps: AuthDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const body = await readParsedBody(req, 16 * 1024);
    deps.csrf.check(req, body);
    const token = presentedToken(req, deps.cookieName);
    const sessionId = token === undefined ? undefined : deps.sessions.sessionIdOf(token);
    if (sessionId !== undefined) {
      const entry = await deps.sessions.validate(token!).catch(() => undefined);
      const revoked = await deps.sessions.revoke(sessionId);
      if (revoked) {
        deps.events.publish('user.logout', {
          userId: entry?.userId ?? null, sessionId, origin: { actor: entry?.userId ?? null, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null },
        });
      }
    }
    const cleared = clearSessionCookie(deps.cookieName, deps.cookie);
    if (body.kind === 'json') {
      res.writeHead(204, { 'set-cookie': cleared, 'cache-control': 'no-store' });
      res.end();
      return;
    }
    const rd = safeRedirectTarget(stringField(body, 'rd', { optional: true, max: 2048 }), deps.config.server.public_url, deps.redirectHosts());
    res.writeHead(303, { location: rd, 'set-cookie': cleared, 'cache-control': 'no-store', 'content-length': 0 });
    res.end();
  };
}

/** GET /.gatehouse/logout: a page with a button that POSTs the logout (with its CSRF token). */
export function logoutPageEndpoint(deps: AuthDeps) {
  return (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): void => {
    const { token, setCookie } = deps.csrf.issue(req);
    const rd = safeRedirectTarget(ctx.query.get('rd'), deps.config.server.public_url, deps.redirectHosts());
    sendHtml(res, 200, page('Sign out', '<h1>Sign out?</h1><form method="post" action="/.gatehouse/logout">' +
      `<input type="hidden" name="csrf" value="${escapeHtml(token)}"><input type="hidden" name="rd" value="${escapeHtml(rd)}">` +
      '<button type="submit">Sign out</button></form>'), { 'set-cookie': setCookie });
  };
}

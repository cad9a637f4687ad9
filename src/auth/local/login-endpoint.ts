import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatehouseError } from '../../errors/index.js';
import type { EndpointContext } from '../../http/endpoint-router.js';
import { mergeSetCookie, sendJson } from '../../http/respond.js';
import { serializeCookie } from '../../sessions/cookie.js';
import { presentedToken } from '../../sessions/presented-token.js';
import { canonicalEmail } from '../../store/canonical-email.js';
import type { User } from '../../store/store.js';
import type { AuthDeps } from '../auth-deps.js';
import { readParsedBody, stringField, type ParsedBody } from '../../http/request-body.js';
import { safeRedirectTarget } from '../redirect-target.js';
import { renderLoginPage } from './login-page.js';
import { userView } from './user-view.js';

const LOGIN_BODY_LIMIT = 16 * 1024;

/**
 * POST /.gatehouse/login. Order matters: CSRF, then the throttle (a store read, no hashing: per IP, then the
 * account's pace unless the browser's device cookie shows it signed in to this account before), then one Argon2 verify
 * through the bounded pool for every attempt, real or dummy, so wrong email and wrong password take the same time
 * and answer the same 401.
 */
export function loginEndpoint(deps: AuthDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const body = await readParsedBody(req, LOGIN_BODY_LIMIT);
    deps.csrf.check(req, body);
    const email = stringField(body, 'email', { max: 320 })!.trim();
    const password = stringField(body, 'password', { max: 4096 })!;
    const rd = stringField(body, 'rd', { optional: true, max: 2048 }) ?? null;
    const userAgent = req.headers['user-agent'] ?? null;
    // In a login storm most attempts are refused here, before the throttle read and the user lookup.
    deps.hasher.rejectIfFull();
    // A device cookie that cannot be checked (its key unreadable) only means an unknown browser: paced, not refused.
    const device = await deps.deviceCookies?.verify(req, email).catch(() => undefined);
    const attempt = { email, ip: ctx.clientIp, device };
    const verdict = await deps.throttle.check(attempt);
    if (!verdict.allowed) {
      deps.metrics.loginAttempts.inc({ method: 'password', provider: 'local', result: 'throttled' });
      deps.events.publish('user.login_throttled', {
        target: canonicalEmail(email), scope: verdict.scope, knownDevice: device !== undefined, origin: { actor: null, clientIp: ctx.clientIp, userAgent },
      });
      throw new GatehouseError('GATE_ERR_TOO_MANY_ATTEMPTS', undefined, { retryAfterSeconds: verdict.retryAfterSeconds });
    }
    const user = await deps.store.users.getByEmail(email);
    const usable = user !== null && user.passwordHash !== null && !user.disabled;
    const ok = usable ? await deps.hasher.verify(user.passwordHash!, password) : await deps.hasher.dummyVerify(password);
    if (!ok || !usable) {
      const reason = user === null ? 'unknown_user' : user.disabled ? 'disabled' : user.passwordHash === null ? 'no_password' : 'bad_password';
      await deps.throttle.recordFailure(attempt);
      deps.metrics.loginAttempts.inc({ method: 'password', provider: 'local', result: 'failure' });
      deps.events.publish('user.login_failed', {
        userId: user?.id ?? null, target: user?.id ?? canonicalEmail(email), method: 'password', reason, origin: { actor: user?.id ?? null, clientIp: ctx.clientIp, userAgent },
      });
      if (body.kind === 'form') {
        renderLoginPage(deps, req, res, { rd, status: 401, error: 'Wrong email or password.', email });
      } else {
        sendJson(res, 401, { error: 'invalid_credentials', code: 'GATE_ERR_INVALID_CREDENTIALS', message: 'wrong email or password' });
      }
      return;
    }
    await deps.throttle.recordSuccess(email);
    if (deps.hasher.needsRehash(user.passwordHash!)) void rehash(deps, user, password);
    // The password was right: from now on this browser is a known device for the account (auth/device-cookie.ts).
    const deviceCookie = await deps.deviceCookies?.issue(user.email).catch((err: unknown) => {
      deps.logger.warn({ err: (err as Error).message }, 'device cookie not issued');
      return undefined;
    });
    if (deviceCookie !== undefined) res.setHeader('set-cookie', deviceCookie);
    await startSession(deps, req, mergeSetCookie(res), ctx, user, body, rd, 'password', 'local');
  };
}

/**
 * Starts a session for a user who just proved who they are, the same way for every login method: a fresh token
 * (any session the browser presented is ended, so a planted cookie is never promoted: no fixation), the cookie,
 * a `user.login` event, then 303 to `rd` for forms or 200 with the user for JSON.
 */
export async function startSession(
  deps: AuthDeps, req: IncomingMessage, res: ServerResponse, ctx: EndpointContext, user: User,
  body: ParsedBody | { kind: 'browser' }, rd: string | null, method: string, provider: string, status = 200,
  amr: readonly string[] = amrFor(method),
): Promise<void> {
  // A user with a second factor proves it before any session exists (the account flows take over the answer).
  if (!amr.includes('mfa') && await deps.selfService.secondFactor(deps, req, res, ctx, user, body, rd, amr, { method, provider })) return;
  const previous = presentedToken(req, deps.cookieName);
  const previousId = previous === undefined ? undefined : deps.sessions.sessionIdOf(previous);
  if (previousId !== undefined) await deps.sessions.revoke(previousId).catch(() => false);
  const session = await deps.sessions.create(user, { userAgent: req.headers['user-agent'], clientIp: ctx.clientIp, amr });
  deps.metrics.loginAttempts.inc({ method, provider, result: 'success' });
  // Published, not handled here: the audit trail records it and organizations' webhooks hear of it (DomainEvents).
  deps.events.publish('user.login', {
    userId: user.id, email: user.email, method, provider, amr, sessionId: session.sessionId,
    origin: { actor: user.id, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null },
  });
  const cookie = serializeCookie(deps.cookieName, session.token, { ...deps.cookie, maxAgeSeconds: deps.config.sessions.lifetime / 1000 });
  if (body.kind === 'json') {
    sendJson(res, status, { user: userView(user), token: session.token, expires_at: session.expiresAt.toISOString() }, { 'set-cookie': cookie });
    return;
  }
  const target = safeRedirectTarget(rd, deps.config.server.public_url, deps.redirectHosts());
  res.writeHead(303, { location: target, 'set-cookie': cookie, 'cache-control': 'no-store', 'content-length': 0 });
  res.end();
}

async function rehash(deps: AuthDeps, user: User, password: string): Promise<void> {
  try {
    const hash = await deps.hasher.hash(password);
    await deps.store.users.update(user.id, { passwordHash: hash });
  } catch (err) {
    // Not fatal: the old hash still verifies; the next login tries again.
    deps.logger.warn({ err: (err as Error).message, user: user.id }, 'password rehash failed');
  }
}

/**
 * The RFC 8176 amr values a sign-in method proves: `pwd` for a password; a second factor adds its own (`otp`,
 * `hwk`/`swk`) and `mfa`. A federated sign-in states none of its own: the provider's methods are not known here.
 */
export function amrFor(method: string): string[] {
  return method === 'password' ? ['pwd'] : [];
}

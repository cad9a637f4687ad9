import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatehouseError } from '../errors/index.js';
import type { EndpointContext } from '../http/endpoint-router.js';
import { sendJson } from '../http/respond.js';
import type { MailedLink } from '../auth/write-ops.js';
import { canonicalEmail as normaliseEmail } from '../store/index.js';
import { accountTokenId, humanDuration, isTokenShaped, mintAccountToken } from './account-token.js';
import { publicLink, publishAccountChange, type AccountsDeps } from './accounts-deps.js';
import { currentSession, readCheckedBody, textField } from './account-request.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import { replaceLinkTx } from './write-ops.js';

/**
 * A verification link for the user's current address, minted and its mail sealed here, for a named transaction to
 * store (auth/write-ops.ts registerTx for a new account, write-ops.ts replaceLinkTx when asked again); null without mail.
 */
export function verificationLink(deps: Pick<AccountsDeps, 'config' | 'mail'>, user: { email: string; name: string | null }): MailedLink | null {
  if (!deps.mail.enabled) return null;
  const ttl = deps.config.accounts.email_verification.link_ttl;
  const { token, id } = mintAccountToken();
  const mail = deps.mail.seal({
    template: 'verify-email', to: user.email,
    vars: { email: user.email, name: user.name ?? '', link: publicLink(deps, '/.gatehouse/verify-email', { token }), expires_in: humanDuration(ttl) },
  });
  return mail === null ? null : { token: { id, purpose: 'verify_email', email: normaliseEmail(user.email), expiresAt: new Date(Date.now() + ttl) }, mail };
}

/** GET /.gatehouse/verify-email?token=: a page with a button (a mail scanner fetching the link must not use it up). */
export function verifyEmailPageEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const token = ctx.query.get('token');
    const found = isTokenShaped(token) ? await deps.store.accountTokens.get(accountTokenId(token)) : null;
    if (found === null || found.purpose !== 'verify_email' || found.usedAt !== null || found.expiresAt.getTime() <= Date.now()) {
      invalidLink(deps, req, res, 'verification');
      return;
    }
    const { token: csrf, setCookie } = deps.csrf.issue(req);
    deps.pages.send(res, 'verify-email', { title: 'Confirm your email address', csrf, token: token!, email: found.email ?? '' }, { headers: { 'set-cookie': setCookie } });
  };
}

/**
 * POST /.gatehouse/verify-email {token}: uses the link once. It verifies the address it was sent to, for the account
 * it was made for, and only while that is still the account's address (an address changed since stays unproven).
 */
export function verifyEmailEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const body = await readCheckedBody(deps, req);
    const token = textField(body, 'token', 64);
    const used = isTokenShaped(token) ? await deps.store.accountTokens.consume(accountTokenId(token), 'verify_email') : null;
    const user = used?.userId ? await deps.store.users.get(used.userId) : null;
    if (used === null || user === null || used.email === null || normaliseEmail(user.email) !== used.email) {
      if (body.kind === 'json') throw new GatehouseError('GATE_ERR_LINK_INVALID');
      invalidLink(deps, req, res, 'verification');
      return;
    }
    if (user.emailVerifiedAt === null) {
      await deps.store.users.update(user.id, { emailVerifiedAt: new Date() });
      deps.sessions.evictUser(user.id);
    }
    publishAccountChange(deps, 'user.email_verified', user.id, req, ctx, { email: user.email });
    if (body.kind === 'json') {
      sendJson(res, 200, { email: user.email, email_verified: true });
      return;
    }
    deps.pages.send(res, 'message', {
      title: 'Address confirmed', paragraphs: [`Thank you: ${user.email} is confirmed.`],
      link: { href: '/.gatehouse/account', label: 'Go to your account' },
    });
  };
}

/** POST /.gatehouse/verify-email/resend: a new link for the signed-in user's address (throttled per account). */
export function resendVerificationEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const body = await readCheckedBody(deps, req);
    const session = await currentSession(deps, req);
    if (session === undefined) throw new GatehouseError('GATE_ERR_UNAUTHENTICATED');
    if (!deps.mail.enabled) throw new GatehouseError('GATE_ERR_FEATURE_DISABLED', 'mail is not configured');
    const user = await deps.store.users.get(session.userId);
    if (user === null) throw new GatehouseError('GATE_ERR_UNAUTHENTICATED');
    if (user.emailVerifiedAt === null) {
      const limits = deps.config.accounts.password_reset;
      const key = `verify:${user.id}`;
      const counts = await deps.store.loginAttempts.get([key], limits.window);
      if ((counts.get(key) ?? 0) >= limits.max_per_account) {
        throw new GatehouseError('GATE_ERR_TOO_MANY_ATTEMPTS', 'too many links asked for; try again later', { retryAfterSeconds: Math.ceil(limits.window / 1000) });
      }
      await deps.store.loginAttempts.increment([key], limits.window);
      const link = verificationLink(deps, user);
      // Older unused links of the user stop working: only the newest one verifies.
      if (link !== null) await deps.store.perform(replaceLinkTx, { userId: user.id, link });
      deps.mail.kick();
      deps.audit.record({ actor: user.id, org: null, action: 'user.verification_sent', target: user.id, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null, data: null });
    }
    if (body.kind === 'json') {
      sendJson(res, 202, { email: user.email, email_verified: user.emailVerifiedAt !== null });
      return;
    }
    res.writeHead(303, { location: '/.gatehouse/account?notice=verification-sent', 'cache-control': 'no-store', 'content-length': 0 });
    res.end();
  };
}

/** The page for a link that is unknown, used, expired, or meant for another address. */
export function invalidLink(deps: AccountsDeps, req: IncomingMessage, res: ServerResponse, kind: 'verification' | 'reset'): void {
  void req;
  const again = kind === 'reset'
    ? { href: '/.gatehouse/forgot-password', label: 'Ask for a new link' }
    : { href: '/.gatehouse/account', label: 'Ask for a new link on your account page' };
  deps.pages.send(res, 'message', {
    title: 'This link does not work', paragraphs: ['The link is unknown, expired, or was already used. Each link works once.'], link: again,
  }, { status: 400 });
}

/** Throttle key for reset and verification requests of one account (the canonical email, like login throttling). */
export function accountRequestKey(email: string): string {
  return `reset:${LoginThrottle.accountKey(email)}`;
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatehouseError } from '../errors/index.js';
import type { EndpointContext } from '../http/endpoint-router.js';
import { sendJson } from '../http/respond.js';
import { canonicalEmail as normaliseEmail } from '../store/index.js';
import { clearCookie } from '../sessions/cookie.js';
import { checkNewPassword } from '../auth/passwords/password-policy.js';
import { field } from '../pages/page-renderer.js';
import { accountTokenId, humanDuration, isTokenShaped, mintAccountToken } from './account-token.js';
import { publicLink, publishAccountChange, type AccountsDeps } from './accounts-deps.js';
import { readCheckedBody, textField } from './account-request.js';
import { accountRequestKey, invalidLink } from './email-verification.js';
import { emailProblem } from './field-checks.js';
import { completeResetTx, replaceLinkTx } from './write-ops.js';
import type { NewOutboxMail, User } from '../store/store.js';

/** Whether "forgot password" is offered: enabled, local accounts on, and mail configured. */
export function resetAvailable(deps: AccountsDeps): boolean {
  return deps.config.accounts.password_reset.enabled && deps.config.auth.local.enabled && deps.mail.enabled;
}

function requireAvailable(deps: AccountsDeps): void {
  if (!resetAvailable(deps)) throw new GatehouseError('GATE_ERR_FEATURE_DISABLED', 'password reset is not enabled (it needs mail)');
}

/** GET /.gatehouse/forgot-password */
export function forgotPasswordPageEndpoint(deps: AccountsDeps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    requireAvailable(deps);
    const { token, setCookie } = deps.csrf.issue(req);
    deps.pages.send(res, 'forgot-password', {
      title: 'Forgot your password?', csrf: token,
      fields: { email: field('email', 'Email address', 'email', { autocomplete: 'username', maxlength: 254 }) },
    }, { headers: { 'set-cookie': setCookie } });
  };
}

/**
 * POST /.gatehouse/forgot-password {email}. The answer is the same, and takes the same time, whether or not the
 * account exists: after the shape of the address and the per-IP bound are checked, the answer goes out at once and
 * the account lookup, the token and the queued mail happen afterwards, off the request's path. Requests are counted
 * per IP (past `max_per_ip`: 429) and per account (past `max_per_account`: the same answer, but no more mail).
 */
export function forgotPasswordEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    requireAvailable(deps);
    const body = await readCheckedBody(deps, req);
    const email = textField(body, 'email', 320).trim();
    const problem = emailProblem(email);
    if (problem !== undefined) {
      if (body.kind === 'json') throw new GatehouseError('GATE_ERR_VALIDATION', `email: ${problem}`);
      const { token, setCookie } = deps.csrf.issue(req);
      deps.pages.send(res, 'forgot-password', {
        title: 'Forgot your password?', csrf: token,
        fields: { email: field('email', 'Email address', 'email', { autocomplete: 'username', maxlength: 254, value: email, error: problem }) },
      }, { status: 400, headers: { 'set-cookie': setCookie } });
      return;
    }
    const limits = deps.config.accounts.password_reset;
    const ipKey = `reset-ip:${ctx.clientIp}`;
    const accountKey = accountRequestKey(email);
    const counts = await deps.store.loginAttempts.increment([ipKey, accountKey], limits.window);
    if ((counts.get(ipKey) ?? 0) > limits.max_per_ip) {
      deps.audit.record({ actor: null, org: null, action: 'password_reset.throttled', target: null, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null, data: { scope: 'ip' } });
      throw new GatehouseError('GATE_ERR_TOO_MANY_ATTEMPTS', 'too many reset requests; try again later', { retryAfterSeconds: Math.ceil(limits.window / 1000) });
    }
    const userAgent = req.headers['user-agent'] ?? null;
    // Recorded alike for every address (whether it has an account is not known yet, and must not show in the work done).
    deps.audit.record({ actor: null, org: null, action: 'password_reset.requested', target: email.toLowerCase(), clientIp: ctx.clientIp, userAgent, data: null });
    if ((counts.get(accountKey) ?? 0) <= limits.max_per_account) {
      deps.deferred.run('password-reset', () => issueReset(deps, email, ctx.clientIp));
    }
    if (body.kind === 'json') {
      sendJson(res, 202, { status: 'accepted' });
      return;
    }
    deps.pages.send(res, 'forgot-password-sent', { title: 'Check your email', email, expires_in: humanDuration(limits.link_ttl) });
  };
}

/** After the answer: finds the account and, when it may reset, stores a link and queues it in one transaction. */
async function issueReset(deps: AccountsDeps, email: string, clientIp: string): Promise<void> {
  const user = await deps.store.users.getByEmail(email);
  if (user === null || user.disabled) return;
  // An account that signs in only through an identity provider has no password here to reset.
  if (user.passwordHash === null && (await deps.store.identities.listForUser(user.id)).length > 0) return;
  const ttl = deps.config.accounts.password_reset.link_ttl;
  const { token, id } = mintAccountToken();
  const mail = deps.mail.seal({
    template: 'reset-password', to: user.email,
    vars: { email: user.email, name: user.name ?? '', link: publicLink(deps, '/.gatehouse/reset-password', { token }), expires_in: humanDuration(ttl), client_ip: clientIp },
  });
  if (mail === null) return; // not reached: reset is offered only with mail (resetAvailable)
  // Only the newest link works: asking again voids the older ones.
  await deps.store.perform(replaceLinkTx, {
    userId: user.id, link: { token: { id, purpose: 'reset_password', email: normaliseEmail(user.email), expiresAt: new Date(Date.now() + ttl) }, mail },
  });
  deps.mail.kick();
}

/** The "your password was changed" notice, sealed for the change's write op (null without mail). */
export function passwordChangedMail(deps: AccountsDeps, user: { email: string; name: string | null }, clientIp: string): NewOutboxMail | null {
  return deps.mail.seal({
    template: 'password-changed', to: user.email,
    vars: { email: user.email, name: user.name ?? '', client_ip: clientIp, link: publicLink(deps, '/.gatehouse/forgot-password') },
  });
}

/** GET /.gatehouse/reset-password?token=: the new-password form, when the link still works. */
export function resetPasswordPageEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    requireAvailable(deps);
    const token = ctx.query.get('token');
    const live = await liveResetToken(deps, token);
    if (live === undefined) {
      invalidLink(deps, req, res, 'reset');
      return;
    }
    renderResetForm(deps, req, res, token!, live.email, {});
  };
}

/**
 * POST /.gatehouse/reset-password {token, password, password_confirm}: checks the new password, hashes it, then in
 * one transaction uses the link (once), sets the password, ends every session of the account, voids its other
 * reset links and queues a notice. Using the link also proves the address, so it counts as verified.
 */
export function resetPasswordEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    requireAvailable(deps);
    const body = await readCheckedBody(deps, req);
    const token = textField(body, 'token', 64);
    const password = textField(body, 'password', 4096);
    const confirm = body.kind === 'json' ? password : textField(body, 'password_confirm', 4096);
    const live = await liveResetToken(deps, token);
    if (live === undefined) {
      if (body.kind === 'json') throw new GatehouseError('GATE_ERR_LINK_INVALID');
      invalidLink(deps, req, res, 'reset');
      return;
    }
    const refused = checkNewPassword(password, deps.config.auth.local.password_min_length);
    const mismatch = refused === undefined && confirm !== password ? 'The two passwords are not the same.' : undefined;
    if (refused !== undefined || mismatch !== undefined) {
      if (body.kind === 'json') throw new GatehouseError('GATE_ERR_WEAK_PASSWORD', `password: ${refused}`);
      renderResetForm(deps, req, res, token, live.email, { password: refused === undefined ? undefined : sentence(refused), password_confirm: mismatch }, 400);
      return;
    }
    deps.hasher.rejectIfFull();
    const passwordHash = await deps.hasher.hash(password);
    // The notice is sealed for the account the link was checked for; the op uses the link only if it is still that account's.
    const outcome = await deps.store.perform(completeResetTx, {
      tokenId: accountTokenId(token), userId: live.id, passwordHash, mail: passwordChangedMail(deps, live, ctx.clientIp),
    });
    if (outcome === null) {
      if (body.kind === 'json') throw new GatehouseError('GATE_ERR_LINK_INVALID');
      invalidLink(deps, req, res, 'reset');
      return;
    }
    const { user, ended } = outcome;
    deps.sessions.evictUser(user.id);
    deps.mail.kick();
    await deps.throttle.recordSuccess(user.email);
    publishAccountChange(deps, 'user.password_reset', user.id, req, ctx, { sessions_ended: ended });
    const cleared = clearCookie(deps.cookieName, deps.cookie);
    if (body.kind === 'json') {
      sendJson(res, 200, { status: 'password_changed', sessions_ended: ended }, { 'set-cookie': cleared });
      return;
    }
    deps.pages.send(res, 'message', {
      title: 'Password changed', paragraphs: ['Your new password is set, and every session of the account was signed out.'],
      link: { href: '/.gatehouse/login', label: 'Sign in' },
    }, { headers: { 'set-cookie': cleared } });
  };
}

/** The token's account when it is a live reset link (not used, not expired, account still usable). */
async function liveResetToken(deps: AccountsDeps, token: string | null): Promise<User | undefined> {
  if (!isTokenShaped(token)) return undefined;
  const found = await deps.store.accountTokens.get(accountTokenId(token));
  if (found === null || found.purpose !== 'reset_password' || found.usedAt !== null || found.expiresAt.getTime() <= Date.now() || found.userId === null) return undefined;
  const user = await deps.store.users.get(found.userId);
  return user === null || user.disabled ? undefined : user;
}

function renderResetForm(deps: AccountsDeps, req: IncomingMessage, res: ServerResponse, token: string, email: string,
  errors: { password?: string | undefined; password_confirm?: string | undefined }, status = 200): void {
  const { token: csrf, setCookie } = deps.csrf.issue(req);
  const min = deps.config.auth.local.password_min_length;
  deps.pages.send(res, 'reset-password', {
    title: 'Choose a new password', csrf, token, email,
    fields: {
      password: field('password', 'New password', 'password', { autocomplete: 'new-password', hint: `At least ${min} characters.`, error: errors.password }),
      password_confirm: field('password_confirm', 'New password again', 'password', { autocomplete: 'new-password', error: errors.password_confirm }),
    },
  }, { status, headers: { 'set-cookie': setCookie } });
}

/** "password must be ..." -> "Password must be ...". */
export function sentence(text: string): string {
  const s = text.charAt(0).toUpperCase() + text.slice(1);
  return s.endsWith('.') ? s : `${s}.`;
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatehouseError } from '../errors/index.js';
import type { EndpointContext } from '../http/endpoint-router.js';
import { sendJson } from '../http/respond.js';
import { checkNewPassword } from '../auth/passwords/password-policy.js';
import { clearSessionCookie } from '../sessions/cookie.js';
import { field, type FieldView } from '../pages/page-renderer.js';
import { readCheckedBody, textField } from './account-request.js';
import { accountContext, ACCOUNT_NOTICES, backToAccount, type AccountContext } from './account-session.js';
import { publishAccountChange, type AccountsDeps } from './accounts-deps.js';
import { passwordChangedMail, sentence } from './password-reset.js';
import { changePasswordTx } from './write-ops.js';

/** "2026-11-30 11:05 UTC": a time for people, the same on every replica. */
export function displayTime(date: Date | null): string {
  return date === null ? 'never' : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** GET /.gatehouse/account: profile, password, second factors, sessions. */
export function accountPageEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const account = await accountContext(deps, req, res);
    if (account === undefined) return;
    const notice = ctx.query.get('notice');
    await renderAccountPage(deps, req, res, account, { notice: notice !== null && notice in ACCOUNT_NOTICES ? ACCOUNT_NOTICES[notice as keyof typeof ACCOUNT_NOTICES] : undefined });
  };
}

/** Field values and errors to show again after a refused form. */
interface AccountFormState {
  notice?: string | undefined;
  alert?: string;
  name?: { value: string; error?: string };
  password?: { current?: string; next?: string; confirm?: string };
  passkeyName?: { value: string; error?: string };
}

/** Renders the account page for the signed-in user (with what a refused form needs to show). */
export async function renderAccountPage(deps: AccountsDeps, req: IncomingMessage, res: ServerResponse, account: AccountContext, state: AccountFormState = {}, status = 200): Promise<void> {
  const { user, session, factors, mfaLocked } = account;
  const { token, setCookie } = deps.csrf.issue(req);
  const sessions = await deps.store.sessions.listForUser(user.id, { limit: 50 });
  const now = Date.now();
  const live = sessions.items.filter((s) => s.revokedAt === null && s.expiresAt.getTime() > now && s.idleExpiresAt.getTime() > now);
  const passkeysEnabled = deps.config.accounts.mfa.webauthn.enabled;
  const credentials = passkeysEnabled ? await deps.store.mfa.listCredentials(user.id) : [];
  const min = deps.config.auth.local.password_min_length;
  const fields: Record<string, FieldView> = {
    name: field('name', 'Name', 'text', { autocomplete: 'name', required: false, maxlength: 200, value: state.name?.value ?? user.name ?? '', error: state.name?.error }),
    current_password: field('current_password', 'Current password', 'password', { autocomplete: 'current-password', error: state.password?.current }),
    new_password: field('new_password', 'New password', 'password', { autocomplete: 'new-password', hint: `At least ${min} characters.`, error: state.password?.next }),
    new_password_confirm: field('new_password_confirm', 'New password again', 'password', { autocomplete: 'new-password', error: state.password?.confirm }),
    passkey_name: field('passkey_name', 'Name of the new passkey', 'text', { required: false, maxlength: 64, hint: 'For example "Work laptop" or "Blue security key".', value: state.passkeyName?.value ?? '', error: state.passkeyName?.error }),
  };
  deps.pages.send(res, 'account', {
    title: 'Your account', wide: true, csrf: token, notice: state.notice, alert: state.alert, fields,
    email: user.email, email_verified: user.emailVerifiedAt !== null, can_verify: deps.mail.enabled,
    has_password: user.passwordHash !== null,
    mfa_locked: mfaLocked, totp_enabled: deps.config.accounts.mfa.totp.enabled, totp_enrolled: factors.totp,
    recovery_left: factors.recovery, has_factor: factors.totp || factors.passkeys > 0,
    passkeys_enabled: passkeysEnabled, has_passkeys: credentials.length > 0,
    passkeys: credentials.map((c, index) => ({
      index, id: c.id, name: c.name, created: displayTime(c.createdAt), last_used: displayTime(c.lastUsedAt), passwordless: c.passwordless,
    })),
    sessions: live.map((s) => ({
      created: displayTime(s.createdAt), last_seen: displayTime(s.lastSeenAt), client_ip: s.clientIp ?? 'unknown',
      user_agent: (s.userAgent ?? 'unknown').slice(0, 120), current: s.id === session.sessionId,
    })),
  }, { status, headers: { 'set-cookie': setCookie }, ...(passkeysEnabled && !mfaLocked ? { scripts: ['/.gatehouse/assets/simplewebauthn-browser.js', '/.gatehouse/assets/passkeys.js'] } : {}) });
}

/** POST /.gatehouse/account/profile {name}: the display name (no control characters, at most 200 characters). */
export function profileEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const body = await readCheckedBody(deps, req);
    const account = await accountContext(deps, req, res);
    if (account === undefined) return;
    const raw = body.kind === 'form' ? body.fields.get('name') ?? '' : typeof body.value.name === 'string' ? body.value.name : '';
    const name = raw.trim();
    // eslint-disable-next-line no-control-regex
    const error = name.length > 200 ? 'Use at most 200 characters.' : /[\u0000-\u001f\u007f]/.test(name) ? 'Use letters, digits and punctuation only (no control characters).' : undefined;
    if (error !== undefined) {
      if (body.kind === 'json') throw new GatehouseError('GATE_ERR_VALIDATION', `name: ${error}`);
      await renderAccountPage(deps, req, res, account, { name: { value: raw.slice(0, 300), error } }, 400);
      return;
    }
    await deps.store.users.update(account.user.id, { name });
    deps.sessions.evictUser(account.user.id);
    deps.audit.record({ actor: account.user.id, org: null, action: 'user.profile_changed', target: account.user.id, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null, data: { fields: ['name'] } });
    if (body.kind === 'json') {
      sendJson(res, 200, { name });
      return;
    }
    backToAccount(res, 'profile-saved');
  };
}

/**
 * POST /.gatehouse/account/password {current_password, new_password, new_password_confirm}: the current password
 * is checked like a login (throttled per account and IP, through the hash pool), then the new one is set, every
 * other session ends, and the owner gets a notice.
 */
export function passwordChangeEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const body = await readCheckedBody(deps, req);
    const account = await accountContext(deps, req, res);
    if (account === undefined) return;
    const { user } = account;
    if (user.passwordHash === null) throw new GatehouseError('GATE_ERR_FEATURE_DISABLED', 'this account has no password here');
    const current = textField(body, 'current_password');
    const next = textField(body, 'new_password');
    const confirm = body.kind === 'json' ? next : textField(body, 'new_password_confirm');
    const problems: { current?: string; next?: string; confirm?: string } = {};
    if (current === '') problems.current = 'Enter your current password.';
    const refused = checkNewPassword(next, deps.config.auth.local.password_min_length);
    if (refused !== undefined) problems.next = sentence(refused);
    else if (confirm !== next) problems.confirm = 'The two new passwords are not the same.';
    if (problems.current === undefined) {
      deps.hasher.rejectIfFull();
      // The session proves the device: a signed-in owner is judged by its own failures, not slowed by strangers'.
      const attempt = { email: user.email, ip: ctx.clientIp, device: `session:${account.session.sessionId}` };
      const verdict = await deps.throttle.check(attempt);
      if (!verdict.allowed) throw new GatehouseError('GATE_ERR_TOO_MANY_ATTEMPTS', undefined, { retryAfterSeconds: verdict.retryAfterSeconds });
      if (!await deps.hasher.verify(user.passwordHash, current)) {
        await deps.throttle.recordFailure(attempt);
        deps.audit.record({ actor: user.id, org: null, action: 'user.password_change_failed', target: user.id, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null, data: { reason: 'bad_password' } });
        problems.current = 'That is not your current password.';
      }
    }
    if (problems.current !== undefined || problems.next !== undefined || problems.confirm !== undefined) {
      if (body.kind === 'json') throw new GatehouseError('GATE_ERR_VALIDATION', Object.entries(problems).map(([k, v]) => `${k}: ${v}`).join('; '));
      await renderAccountPage(deps, req, res, account, { password: problems }, 400);
      return;
    }
    const passwordHash = await deps.hasher.hash(next);
    const ended = await deps.store.perform(changePasswordTx, {
      userId: user.id, keepSessionId: account.session.sessionId, passwordHash, mail: passwordChangedMail(deps, user, ctx.clientIp),
    });
    deps.sessions.evictUser(user.id);
    deps.mail.kick();
    publishAccountChange(deps, 'user.password_changed', user.id, req, ctx, { sessions_ended: ended });
    if (body.kind === 'json') {
      sendJson(res, 200, { status: 'password_changed', sessions_ended: ended });
      return;
    }
    backToAccount(res, 'password-changed');
  };
}

/** POST /.gatehouse/account/sessions/revoke {scope: others|all}: "sign out other sessions" or "sign out everywhere". */
export function revokeSessionsEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const body = await readCheckedBody(deps, req);
    const account = await accountContext(deps, req, res);
    if (account === undefined) return;
    const scope = textField(body, 'scope', 16);
    if (scope !== 'others' && scope !== 'all') throw new GatehouseError('GATE_ERR_VALIDATION', 'scope: expected others or all');
    const except = scope === 'others' ? account.session.sessionId : undefined;
    const ended = await deps.sessions.revokeUser(account.user.id, except);
    deps.audit.record({ actor: account.user.id, org: null, action: 'session.revoked', target: account.user.id, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null, data: { count: ended, all: scope === 'all' } });
    if (body.kind === 'json') {
      sendJson(res, 200, { sessions_ended: ended });
      return;
    }
    if (scope === 'all') {
      res.writeHead(303, { location: '/.gatehouse/login', 'set-cookie': clearSessionCookie(deps.cookieName, deps.cookie), 'cache-control': 'no-store', 'content-length': 0 });
      res.end();
      return;
    }
    backToAccount(res, 'sessions-ended');
  };
}


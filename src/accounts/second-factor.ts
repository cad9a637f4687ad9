import { mergeSetCookie } from '../http/respond.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatehouseError } from '../errors/index.js';
import type { EndpointContext } from '../http/endpoint-router.js';
import { sendJson } from '../http/respond.js';
import { clearCookie, readCookie, serializeCookie } from '../sessions/cookie.js';
import type { CachedSession } from '../sessions/session-cache.js';
import type { AccountToken, User } from '../store/store.js';
import type { AuthDeps } from '../auth/auth-deps.js';
import type { ParsedBody } from '../http/request-body.js';
import { startSession } from '../auth/local/login-endpoint.js';
import { safeRedirectTarget } from '../auth/redirect-target.js';
import { field } from '../pages/page-renderer.js';
import { accountTokenId, isTokenShaped, mintAccountToken } from './account-token.js';
import { currentSession, readCheckedBody, textField } from './account-request.js';
import { matchTotp, normaliseCode, recoveryCodeHash } from './totp.js';
import type { AccountsDeps } from './accounts-deps.js';

/** What a user can prove as a second factor. */
export interface Factors {
  totp: boolean;
  recovery: number;
  passkeys: number;
}

/** The user's confirmed second factors. */
export async function factorsOf(deps: Pick<AuthDeps, 'store' | 'config'>, userId: string): Promise<Factors> {
  const [totp, recovery, passkeys] = await Promise.all([
    deps.store.mfa.getTotp(userId), deps.store.mfa.countRecoveryCodes(userId),
    deps.config.accounts.mfa.webauthn.enabled ? deps.store.mfa.listCredentials(userId) : Promise.resolve([]),
  ]);
  return { totp: deps.config.accounts.mfa.totp.enabled && totp?.confirmedAt != null, recovery, passkeys: passkeys.length };
}

/** Whether the user has a factor to prove (recovery codes alone are a way back, not a factor). */
export function hasFactor(f: Factors): boolean {
  return f.totp || f.passkeys > 0;
}

/** The cookie that carries a sign-in between its password and its second factor. */
export function mfaCookieName(deps: Pick<AuthDeps, 'cookie'>): string {
  return deps.cookie.secure ? '__Host-gatehouse-mfa' : 'gatehouse-mfa';
}

/** State of a sign-in in progress, kept (with the token's hash) in the store. */
interface PendingLogin {
  amr: string[];
  rd: string | null;
  method: string;
  provider: string;
}

/**
 * Called as a session is about to start: when the user has a second factor (and `accounts.mfa.ask_at_login`), no
 * session is made yet. A single-use token (its hash stored with the factors proven so far) goes to the browser in a
 * short-lived cookie, and the browser is sent to the second-factor page; JSON clients get 401
 * `GATE_ERR_MFA_REQUIRED` with the token as `mfa_token`. Returns false when the sign-in may go on as it is.
 */
export async function beginSecondFactor(deps: AuthDeps, _req: IncomingMessage, res: ServerResponse, _ctx: EndpointContext, user: User,
  body: ParsedBody | { kind: 'browser' }, rd: string | null, amr: readonly string[], how: { method: string; provider: string }): Promise<boolean> {
  if (!deps.config.accounts.mfa.ask_at_login) return false;
  const factors = await factorsOf(deps, user.id);
  if (!hasFactor(factors)) return false;
  const ttl = deps.config.accounts.mfa.login_ttl;
  const { token, id } = mintAccountToken();
  const pending: PendingLogin = { amr: [...amr], rd, method: how.method, provider: how.provider };
  await deps.store.accountTokens.create({ id, purpose: 'mfa_login', userId: user.id, data: pending, expiresAt: new Date(Date.now() + ttl) });
  const cookie = serializeCookie(mfaCookieName(deps), token, { secure: deps.cookie.secure, sameSite: 'Lax', maxAgeSeconds: ttl / 1000 });
  if (body.kind === 'json') {
    sendJson(res, 401, {
      error: 'mfa_required', code: 'GATE_ERR_MFA_REQUIRED', message: 'a second factor is required', mfa_token: token,
      methods: methodsOf(factors),
    }, { 'set-cookie': cookie });
    return true;
  }
  const safe = safeRedirectTarget(rd, deps.config.server.public_url, deps.redirectHosts());
  res.writeHead(303, { location: `/.gatehouse/mfa?rd=${encodeURIComponent(safe)}`, 'set-cookie': cookie, 'cache-control': 'no-store', 'content-length': 0 });
  res.end();
  return true;
}

function methodsOf(f: Factors): string[] {
  return [...(f.totp ? ['totp'] : []), ...(f.passkeys > 0 ? ['passkey'] : []), ...(f.recovery > 0 ? ['recovery'] : [])];
}

/** Who a second factor is being proven for: a sign-in in progress, or a signed-in session stepping up. */
export type MfaSubject =
  | { kind: 'login'; userId: string; token: string; pending: PendingLogin }
  | { kind: 'step-up'; userId: string; session: CachedSession };

/** Finds the subject: the pending sign-in (cookie or JSON `mfa_token`) first, else the current session. */
export async function mfaSubject(deps: AccountsDeps, req: IncomingMessage, body?: ParsedBody): Promise<MfaSubject | undefined> {
  const fromBody = body === undefined ? '' : textField(body, 'mfa_token', 64);
  const token = fromBody !== '' ? fromBody : readCookie(req.headers.cookie, mfaCookieName(deps));
  if (isTokenShaped(token)) {
    const row = await deps.store.accountTokens.get(accountTokenId(token));
    if (livePending(row)) return { kind: 'login', userId: row.userId!, token, pending: row.data as PendingLogin };
  }
  const session = await currentSession(deps, req);
  return session === undefined ? undefined : { kind: 'step-up', userId: session.userId, session };
}

function livePending(row: AccountToken | null): row is AccountToken {
  return row !== null && row.purpose === 'mfa_login' && row.usedAt === null && row.expiresAt.getTime() > Date.now() && row.userId !== null;
}

/** GET /.gatehouse/mfa?rd=: the second-factor page (a sign-in in progress, or a step-up for the current session). */
export function mfaPageEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const subject = await mfaSubject(deps, req);
    const rd = ctx.query.get('rd');
    if (subject === undefined) {
      res.writeHead(302, { location: `/.gatehouse/login?rd=${encodeURIComponent(safeRedirectTarget(rd, deps.config.server.public_url, deps.redirectHosts()))}`, 'cache-control': 'no-store', 'content-length': 0 });
      res.end();
      return;
    }
    await renderMfaPage(deps, req, res, subject, rd, {});
  };
}

async function renderMfaPage(deps: AccountsDeps, req: IncomingMessage, res: ServerResponse, subject: MfaSubject, rdRaw: string | null,
  errors: { code?: string; recovery_code?: string; alert?: string }, status = 200): Promise<void> {
  const factors = await factorsOf(deps, subject.userId);
  const rd = safeRedirectTarget(rdRaw ?? (subject.kind === 'login' ? subject.pending.rd : null), deps.config.server.public_url, deps.redirectHosts());
  const { token, setCookie } = deps.csrf.issue(req);
  const passkey = factors.passkeys > 0 && deps.config.accounts.mfa.webauthn.enabled;
  deps.pages.send(res, 'second-factor', {
    title: subject.kind === 'login' ? 'Two-step verification' : 'Confirm it is you',
    intro: subject.kind === 'login' ? 'Your account has a second factor. Prove it to finish signing in.' : 'This page needs a second factor. Prove it to go on.',
    csrf: token, rd, totp: factors.totp, passkey, recovery: factors.recovery > 0, recovery_open: errors.recovery_code !== undefined,
    enrol: !hasFactor(factors), alert: errors.alert,
    fields: {
      code: field('code', 'Six-digit code from your app', 'text', { autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 12, error: errors.code }),
      recovery_code: field('recovery_code', 'Recovery code', 'text', { autocomplete: 'off', maxlength: 32, hint: 'Like abcd-efgh-jkmn-pqrs.', error: errors.recovery_code }),
    },
  }, { status, headers: { 'set-cookie': setCookie }, ...(passkey ? { scripts: ['/.gatehouse/assets/simplewebauthn-browser.js', '/.gatehouse/assets/passkeys.js'] } : {}) });
}

/**
 * POST /.gatehouse/mfa {method: totp|recovery, code | recovery_code, rd} (form or JSON with `mfa_token`). Throttled
 * per account like passwords, checked before any work. A TOTP code is accepted once only (its time step is
 * recorded atomically, so a code seen in transit cannot be replayed within its window); a recovery code works once.
 */
export function mfaEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const body = await readCheckedBody(deps, req);
    const subject = await mfaSubject(deps, req, body);
    if (subject === undefined) throw new GatehouseError('GATE_ERR_UNAUTHENTICATED', 'no sign-in in progress and no session');
    const method = textField(body, 'method', 16) || 'totp';
    const rd = textField(body, 'rd', 2048) || null;
    await checkMfaThrottle(deps, subject.userId, ctx, req);
    let ok = false;
    let problem: { code?: string; recovery_code?: string } = {};
    if (method === 'recovery') {
      const code = normaliseCode(textField(body, 'recovery_code', 64) || textField(body, 'code', 64));
      if (code === '') problem = { recovery_code: 'Enter one of your recovery codes.' };
      else ok = await deps.store.mfa.useRecoveryCode(subject.userId, recoveryCodeHash(code));
      if (!ok && problem.recovery_code === undefined) problem = { recovery_code: 'That recovery code does not work (each works once).' };
    } else if (method === 'totp') {
      const code = normaliseCode(textField(body, 'code', 32));
      if (!/^\d{6}$/.test(code)) problem = { code: 'Enter the six digits your app shows.' };
      else {
        const step = await totpStepFor(deps, subject.userId, code);
        ok = step !== undefined && await deps.store.mfa.useTotpStep(subject.userId, step);
        if (!ok) problem = { code: 'That code does not work. Codes change every 30 seconds, and each works once.' };
      }
    } else {
      throw new GatehouseError('GATE_ERR_VALIDATION', 'method: expected totp or recovery');
    }
    if (!ok) {
      await deps.store.loginAttempts.increment([mfaThrottleKey(subject.userId)], deps.config.accounts.mfa.window);
      deps.metrics.loginAttempts.inc({ method: method === 'recovery' ? 'recovery_code' : 'totp', provider: 'local', result: 'failure' });
      deps.audit.record({ actor: subject.userId, org: null, action: 'mfa.failure', target: subject.userId, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null, data: { method } });
      if (body.kind === 'json') throw new GatehouseError('GATE_ERR_MFA_INVALID');
      await renderMfaPage(deps, req, res, subject, rd, problem, 401);
      return;
    }
    await deps.store.loginAttempts.clear(mfaThrottleKey(subject.userId));
    deps.audit.record({ actor: subject.userId, org: null, action: method === 'recovery' ? 'mfa.recovery_code_used' : 'mfa.totp_used', target: subject.userId, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null, data: { flow: subject.kind } });
    await completeSecondFactor(deps, req, res, ctx, subject, body, rd, ['otp']);
  };
}

/** The matching time step of a code for the user's confirmed secret, or undefined. */
async function totpStepFor(deps: AccountsDeps, userId: string, code: string): Promise<number | undefined> {
  const totp = await deps.store.mfa.getTotp(userId);
  if (totp === null || totp.confirmedAt === null) return undefined;
  const secret = deps.box.open(totp.secret, totpContext(userId));
  return matchTotp(secret, code, Date.now(), deps.config.accounts.mfa.totp.skew);
}

/** The authenticated-data context a user's TOTP secret is sealed under. */
export function totpContext(userId: string): string {
  return `totp:${userId}`;
}

/** Throttle key of second-factor failures for one account. */
export function mfaThrottleKey(userId: string): string {
  return `mfa:${userId}`;
}

/** 429 when the account has had too many wrong second factors in the window (checked before any verification). */
export async function checkMfaThrottle(deps: AccountsDeps, userId: string, ctx: EndpointContext, req: IncomingMessage): Promise<void> {
  const { max_failures: max, window } = deps.config.accounts.mfa;
  const key = mfaThrottleKey(userId);
  const counts = await deps.store.loginAttempts.get([key], window);
  if ((counts.get(key) ?? 0) >= max) {
    deps.metrics.loginAttempts.inc({ method: 'second_factor', provider: 'local', result: 'throttled' });
    deps.audit.record({ actor: userId, org: null, action: 'mfa.throttled', target: userId, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null, data: null });
    throw new GatehouseError('GATE_ERR_TOO_MANY_ATTEMPTS', 'too many wrong codes; try again later', { retryAfterSeconds: Math.ceil(window / 1000) });
  }
}

/**
 * The second factor is proven: a new session whose amr adds what was proven and "mfa". A sign-in in progress uses
 * its token up (single use: a second tab cannot finish it again); a step-up replaces the current session with a
 * new token (the privilege changed, so the session id does too: no fixation across the step).
 */
export async function completeSecondFactor(deps: AccountsDeps, req: IncomingMessage, res: ServerResponse, ctx: EndpointContext,
  subject: MfaSubject, body: ParsedBody, rdRaw: string | null, proven: readonly string[]): Promise<void> {
  const user = await deps.store.users.get(subject.userId);
  if (user === null || user.disabled) throw new GatehouseError('GATE_ERR_UNAUTHENTICATED');
  let base: readonly string[];
  let how: { method: string; provider: string };
  let rd = rdRaw;
  if (subject.kind === 'login') {
    const used = await deps.store.accountTokens.consume(accountTokenId(subject.token), 'mfa_login');
    if (used === null) throw new GatehouseError('GATE_ERR_UNAUTHENTICATED', 'the sign-in expired or was finished elsewhere; sign in again');
    base = subject.pending.amr;
    how = { method: subject.pending.method, provider: subject.pending.provider };
    rd ??= subject.pending.rd;
    res.setHeader('set-cookie', clearCookie(mfaCookieName(deps), { secure: deps.cookie.secure, sameSite: 'Lax' }));
  } else {
    base = subject.session.amr;
    how = { method: 'step_up', provider: 'local' };
  }
  const amr = [...new Set([...base, ...proven, 'mfa'])];
  await startSession(deps, req, mergeSetCookie(res), ctx, user, body, rd, how.method, how.provider, 200, amr);
}

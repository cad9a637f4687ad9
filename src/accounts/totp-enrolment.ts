import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConflictError, GatehouseError } from '../errors/index.js';
import type { EndpointContext } from '../http/endpoint-router.js';
import { sendJson } from '../http/respond.js';
import { serializeCookie } from '../sessions/cookie.js';
import { field } from '../pages/page-renderer.js';
import { publishAccountChange, type AccountsDeps } from './accounts-deps.js';
import { readCheckedBody, textField } from './account-request.js';
import { accountContext, backToAccount, securityNotice, requireUnlocked, type AccountContext } from './account-session.js';
import { totpContext } from './second-factor.js';
import { recoveryCodesTx, removeTotpTx } from './write-ops.js';
import { matchTotp, newRecoveryCodes, newTotpSecret, normaliseCode, recoveryCodeHash, totpUri } from './totp.js';

/** The QR code of an otpauth URI as inline SVG, drawn here (no third-party service sees the secret). */
async function qrSvg(uri: string): Promise<string> {
  const { toString } = await import('qrcode');
  const svg = await toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return svg.replace('<svg ', '<svg role="img" aria-label="QR code to scan with your authenticator app" focusable="false" ');
}

/** GET /.gatehouse/account/totp: a new secret (unconfirmed until a code proves the app has it), as a QR code and as text. */
export function totpSetupPageEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const account = await accountContext(deps, req, res, '/.gatehouse/account/totp');
    if (account === undefined) return;
    requireUnlocked(account);
    if (account.factors.totp) {
      backToAccount(res, 'totp-exists');
      return;
    }
    const secret = newTotpSecret();
    try {
      await deps.store.mfa.putPendingTotp(account.user.id, deps.box.seal(secret, totpContext(account.user.id)));
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
    await renderSetup(deps, req, res, account, secret);
  };
}

async function renderSetup(deps: AccountsDeps, req: IncomingMessage, res: ServerResponse, account: AccountContext, secret: string, error?: string): Promise<void> {
  const issuer = deps.config.accounts.mfa.totp.issuer ?? deps.config.pages.product_name;
  const { token, setCookie } = deps.csrf.issue(req);
  deps.pages.send(res, 'totp-setup', {
    title: 'Set up an authenticator app', csrf: token, qr_svg: await qrSvg(totpUri(secret, issuer, account.user.email)),
    secret: secret.match(/.{1,4}/g)!.join(' '),
    fields: { code: field('code', 'Six-digit code from the app', 'text', { autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 12, error }) },
  }, { status: error === undefined ? 200 : 400, headers: { 'set-cookie': setCookie } });
}

/**
 * POST /.gatehouse/account/totp {code}: confirms the pending secret with a code from the app. The first time, ten
 * recovery codes are made and shown once; this session is renewed as one that proved the new factor.
 */
export function totpConfirmEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const body = await readCheckedBody(deps, req);
    const account = await accountContext(deps, req, res);
    if (account === undefined) return;
    requireUnlocked(account);
    const { user } = account;
    const pending = await deps.store.mfa.getTotp(user.id);
    if (pending === null || pending.confirmedAt !== null) {
      backToAccount(res, 'totp-exists');
      return;
    }
    const secret = deps.box.open(pending.secret, totpContext(user.id));
    const code = normaliseCode(textField(body, 'code', 32));
    const step = /^\d{6}$/.test(code) ? matchTotp(secret, code, Date.now(), deps.config.accounts.mfa.totp.skew) : undefined;
    if (step === undefined || !await deps.store.mfa.confirmTotp(user.id, step)) {
      deps.audit.record({ actor: user.id, org: null, action: 'mfa.totp_enrolment_failed', target: user.id, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null, data: null });
      await renderSetup(deps, req, res, account, secret, /^\d{6}$/.test(code) ? 'That code does not match. Check the time on your phone and try the next code.' : 'Enter the six digits the app shows.');
      return;
    }
    const codes = account.factors.recovery === 0 ? newRecoveryCodes() : undefined;
    await deps.store.perform(recoveryCodesTx, {
      userId: user.id, codeHashes: codes?.map(recoveryCodeHash) ?? null, mail: securityNotice(deps, user, 'An authenticator app was set up', ctx.clientIp),
    });
    deps.mail.kick();
    publishAccountChange(deps, 'mfa.totp_enrolled', user.id, req, ctx, { recovery_codes: codes?.length ?? 0 });
    const cookie = await renewWithFactor(deps, req, ctx, account, ['otp']);
    if (codes !== undefined) {
      showRecoveryCodes(deps, req, res, codes, cookie);
      return;
    }
    backToAccount(res, 'totp-added', { 'set-cookie': cookie });
  };
}

/**
 * The session that just proved a new factor becomes one with it (amr + "mfa"): a new token replaces the old one,
 * so the factors can be managed from this browser without asking for the code it just typed.
 */
export async function renewWithFactor(deps: AccountsDeps, req: IncomingMessage, ctx: EndpointContext, account: AccountContext, proven: readonly string[]): Promise<string> {
  const amr = [...new Set([...account.session.amr, ...proven, 'mfa'])];
  const session = await deps.sessions.create(account.user, { userAgent: req.headers['user-agent'], clientIp: ctx.clientIp, amr });
  await deps.sessions.revoke(account.session.sessionId).catch(() => false);
  return serializeCookie(deps.cookieName, session.token, { ...deps.cookie, maxAgeSeconds: deps.config.sessions.lifetime / 1000 });
}

/** The recovery-codes page (shown once), with a renewed session cookie when there is one. */
export function showRecoveryCodes(deps: AccountsDeps, req: IncomingMessage, res: ServerResponse, codes: string[], sessionCookie?: string): void {
  const { setCookie } = deps.csrf.issue(req);
  deps.pages.send(res, 'recovery-codes', { title: 'Your recovery codes', codes }, {
    headers: { 'set-cookie': sessionCookie === undefined ? [setCookie] : [setCookie, sessionCookie] },
  });
}

/** POST /.gatehouse/account/totp/remove: removes the authenticator app (recovery codes go too when no factor is left). */
export function totpRemoveEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const body = await readCheckedBody(deps, req);
    const account = await accountContext(deps, req, res);
    if (account === undefined) return;
    requireUnlocked(account);
    const { user } = account;
    await deps.store.perform(removeTotpTx, {
      userId: user.id, dropRecoveryCodes: account.factors.passkeys === 0, mail: securityNotice(deps, user, 'The authenticator app was removed', ctx.clientIp),
    });
    deps.mail.kick();
    publishAccountChange(deps, 'mfa.totp_removed', user.id, req, ctx, null);
    if (body.kind === 'json') {
      sendJson(res, 200, { totp: false });
      return;
    }
    backToAccount(res, 'totp-removed');
  };
}

/** POST /.gatehouse/account/recovery-codes: ten new codes, shown once; the old ones stop working. */
export function recoveryCodesEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const body = await readCheckedBody(deps, req);
    const account = await accountContext(deps, req, res);
    if (account === undefined) return;
    requireUnlocked(account);
    const { user } = account;
    if (!account.factors.totp && account.factors.passkeys === 0) throw new GatehouseError('GATE_ERR_STATE_CONFLICT', 'recovery codes come with a second factor: set one up first');
    const codes = newRecoveryCodes();
    await deps.store.perform(recoveryCodesTx, {
      userId: user.id, codeHashes: codes.map(recoveryCodeHash), mail: securityNotice(deps, user, 'New recovery codes were made (the old ones no longer work)', ctx.clientIp),
    });
    deps.mail.kick();
    publishAccountChange(deps, 'mfa.recovery_codes_created', user.id, req, ctx, { count: codes.length });
    if (body.kind === 'json') {
      sendJson(res, 200, { recovery_codes: codes });
      return;
    }
    showRecoveryCodes(deps, req, res, codes);
  };
}

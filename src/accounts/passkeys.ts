import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConflictError, GatehouseError } from '../errors/index.js';
import type { EndpointContext } from '../http/endpoint-router.js';
import { sendJson } from '../http/respond.js';
import type { User, WebAuthnCredential } from '../store/store.js';
import type { ParsedBody } from '../http/request-body.js';
import { startSession } from '../auth/local/login-endpoint.js';
import { renderLoginPage } from '../auth/local/login-page.js';
import { accountTokenId, isTokenShaped, mintAccountToken } from './account-token.js';
import { readCheckedBody, textField } from './account-request.js';
import { accountContext, backToAccount, securityNotice, requireUnlocked } from './account-session.js';
import { renderAccountPage } from './account-page.js';
import { publishAccountChange, type AccountsDeps } from './accounts-deps.js';
import { checkMfaThrottle, completeSecondFactor, mfaSubject, mfaThrottleKey } from './second-factor.js';
import { renewWithFactor, showRecoveryCodes } from './totp-enrolment.js';
import { newRecoveryCodes, recoveryCodeHash } from './totp.js';
import { addPasskeyTx, removePasskeyTx } from './write-ops.js';

type WebAuthnServer = typeof import('@simplewebauthn/server');
let server: Promise<WebAuthnServer> | undefined;
/** @simplewebauthn/server, loaded on the first passkey request (it is the slowest module to load by far). */
function webauthn(): Promise<WebAuthnServer> {
  server ??= import('@simplewebauthn/server');
  return server;
}

/** What a challenge was issued for, kept (with its handle's hash) until its answer comes back once. */
interface Challenge {
  challenge: string;
  kind: 'register' | 'login' | 'mfa';
}

/** The relying party: its id (the public URL's host unless configured) and the origins a ceremony may come from. */
function relyingParty(deps: AccountsDeps, req: IncomingMessage): { rpID: string; origins: string[] } {
  const site = new URL(deps.config.server.public_url);
  const rpID = deps.config.accounts.mfa.webauthn.rp_id ?? site.hostname;
  const origins = [site.origin];
  // The same site reached on another port (development, tests): the browser's origin still has to sit on the RP
  // id, and the authenticator signs the RP id's hash, so nothing from another site is accepted.
  const host = req.headers.host;
  if (host !== undefined && /^[A-Za-z0-9.-]+(:\d+)?$/.test(host) && host.split(':')[0]!.toLowerCase() === rpID.toLowerCase()) {
    origins.push(`${site.protocol}//${host.toLowerCase()}`);
  }
  return { rpID, origins };
}

/** The amr of a credential: a synced passkey is a software key (swk), one bound to a device a hardware key (hwk). */
function amrOf(deviceType: string): string {
  return deviceType === 'multiDevice' ? 'swk' : 'hwk';
}

async function issueChallenge(deps: AccountsDeps, userId: string | null, kind: Challenge['kind'], challenge: string): Promise<string> {
  const { token, id } = mintAccountToken();
  const data: Challenge = { challenge, kind };
  await deps.store.accountTokens.create({ id, purpose: 'webauthn', userId, data, expiresAt: new Date(Date.now() + deps.config.accounts.mfa.webauthn.timeout) });
  return token;
}

/** Uses a challenge once; it must be of `kind` and, when `userId` is given, issued to that user. */
async function takeChallenge(deps: AccountsDeps, handle: string, kind: Challenge['kind'], userId: string | null): Promise<string | undefined> {
  if (!isTokenShaped(handle)) return undefined;
  const used = await deps.store.accountTokens.consume(accountTokenId(handle), 'webauthn');
  const data = used?.data as Challenge | undefined;
  if (used === null || data?.kind !== kind || (userId !== null && used.userId !== userId)) return undefined;
  return data.challenge;
}

function parseResponse(body: ParsedBody): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(textField(body, 'response', 32 * 1024)) as unknown;
    return value !== null && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string' ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/** POST /.gatehouse/account/passkeys/options (JSON): registration options for the signed-in user. */
export function registrationOptionsEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    await readCheckedBody(deps, req);
    const account = await accountContext(deps, req, res);
    if (account === undefined) return;
    requireUnlocked(account);
    const { rpID } = relyingParty(deps, req);
    const existing = await deps.store.mfa.listCredentials(account.user.id);
    const { generateRegistrationOptions } = await webauthn();
    const options = await generateRegistrationOptions({
      rpName: deps.config.pages.product_name, rpID, userName: account.user.email, userDisplayName: account.user.name ?? account.user.email,
      userID: new Uint8Array(Buffer.from(account.user.id, 'utf8')), attestationType: 'none', timeout: deps.config.accounts.mfa.webauthn.timeout,
      excludeCredentials: existing.map((c) => ({ id: c.id, transports: c.transports })),
      // Discoverable ("resident") credentials are what lets a passkey sign in without typing an email.
      authenticatorSelection: { residentKey: 'preferred', userVerification: deps.config.accounts.mfa.webauthn.user_verification },
    });
    const handle = await issueChallenge(deps, account.user.id, 'register', options.challenge);
    sendJson(res, 200, { options, handle });
  };
}

/** POST /.gatehouse/account/passkeys/add {handle, response, passkey_name, passwordless}: registers the passkey. */
export function addPasskeyEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const body = await readCheckedBody(deps, req);
    const account = await accountContext(deps, req, res);
    if (account === undefined) return;
    requireUnlocked(account);
    const { user } = account;
    const name = (textField(body, 'passkey_name', 200).trim() || `Passkey ${new Date().toISOString().slice(0, 10)}`);
    // eslint-disable-next-line no-control-regex
    if (name.length > 64 || /[\u0000-\u001f\u007f]/.test(name)) {
      await renderAccountPage(deps, req, res, account, { passkeyName: { value: name.slice(0, 100), error: 'Use at most 64 letters, digits and punctuation.' } }, 400);
      return;
    }
    const response = parseResponse(body);
    const challenge = response === undefined ? undefined : await takeChallenge(deps, textField(body, 'handle', 64), 'register', user.id);
    const refuse = async (why: string): Promise<void> => {
      deps.audit.record({ actor: user.id, org: null, action: 'mfa.passkey_refused', target: user.id, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null, data: { flow: 'register', why } });
      await renderAccountPage(deps, req, res, account, { passkeyName: { value: name, error: 'The passkey could not be added. Try again (this needs JavaScript).' } }, 400);
    };
    if (response === undefined || challenge === undefined) {
      await refuse(response === undefined ? 'no response' : 'unknown or used challenge');
      return;
    }
    const { rpID, origins } = relyingParty(deps, req);
    const { verifyRegistrationResponse } = await webauthn();
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response: response as never, expectedChallenge: challenge, expectedOrigin: origins, expectedRPID: rpID,
        requireUserVerification: deps.config.accounts.mfa.webauthn.user_verification === 'required',
      });
    } catch (err) {
      await refuse((err as Error).message.slice(0, 200));
      return;
    }
    if (!verified.verified) {
      await refuse('not verified');
      return;
    }
    const info = verified.registrationInfo;
    const passwordless = textField(body, 'passwordless', 8) === '1' || textField(body, 'passwordless', 8) === 'true';
    const codes = account.factors.recovery === 0 ? newRecoveryCodes() : undefined;
    try {
      await deps.store.perform(addPasskeyTx, {
        credential: {
          id: info.credential.id, userId: user.id, name, publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
          counter: info.credential.counter, transports: info.credential.transports ?? [], deviceType: info.credentialDeviceType,
          backedUp: info.credentialBackedUp, passwordless,
        },
        codeHashes: codes?.map(recoveryCodeHash) ?? null, mail: securityNotice(deps, user, `A passkey ("${name}") was added`, ctx.clientIp),
      });
    } catch (err) {
      if (err instanceof ConflictError) {
        await refuse('already registered');
        return;
      }
      throw err;
    }
    deps.mail.kick();
    publishAccountChange(deps, 'mfa.passkey_added', user.id, req, ctx, { credential: info.credential.id.slice(0, 16), name, passwordless, device_type: info.credentialDeviceType });
    const cookie = await renewWithFactor(deps, req, ctx, account, [amrOf(info.credentialDeviceType)]);
    if (codes !== undefined) {
      showRecoveryCodes(deps, req, res, codes, cookie);
      return;
    }
    backToAccount(res, 'passkey-added', { 'set-cookie': cookie });
  };
}

/** POST /.gatehouse/account/passkeys/rename {id, name} */
export function renamePasskeyEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const body = await readCheckedBody(deps, req);
    const account = await accountContext(deps, req, res);
    if (account === undefined) return;
    requireUnlocked(account);
    const name = textField(body, 'name', 200).trim();
    // eslint-disable-next-line no-control-regex
    if (name === '' || name.length > 64 || /[\u0000-\u001f\u007f]/.test(name)) {
      await renderAccountPage(deps, req, res, account, { alert: 'A passkey name is 1 to 64 letters, digits and punctuation.' }, 400);
      return;
    }
    if (!await deps.store.mfa.renameCredential(account.user.id, textField(body, 'id', 1024), name)) throw new GatehouseError('GATE_ERR_NOT_FOUND', 'no such passkey');
    deps.audit.record({ actor: account.user.id, org: null, action: 'mfa.passkey_renamed', target: account.user.id, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null, data: { name } });
    backToAccount(res, 'passkey-renamed');
  };
}

/** POST /.gatehouse/account/passkeys/remove {id}: the passkey stops working at once. */
export function removePasskeyEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const body = await readCheckedBody(deps, req);
    const account = await accountContext(deps, req, res);
    if (account === undefined) return;
    requireUnlocked(account);
    const { user } = account;
    const id = textField(body, 'id', 1024);
    const removed = await deps.store.perform(removePasskeyTx, {
      userId: user.id, credentialId: id, hasTotp: account.factors.totp, mail: securityNotice(deps, user, 'A passkey was removed', ctx.clientIp),
    });
    if (!removed) throw new GatehouseError('GATE_ERR_NOT_FOUND', 'no such passkey');
    deps.mail.kick();
    publishAccountChange(deps, 'mfa.passkey_removed', user.id, req, ctx, { credential: id.slice(0, 16) });
    if (body.kind === 'json') {
      sendJson(res, 200, { removed: true });
      return;
    }
    backToAccount(res, 'passkey-removed');
  };
}

/** POST /.gatehouse/passkey/options (JSON, anonymous): options for signing in with a passkey instead of a password. */
export function passkeyLoginOptionsEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    await readCheckedBody(deps, req);
    const { rpID } = relyingParty(deps, req);
    const { generateAuthenticationOptions } = await webauthn();
    // No allowCredentials: the authenticator offers its discoverable credentials for this site (no email asked, none
    // disclosed). User verification is required: the passkey alone must be two factors (possession + PIN/biometrics).
    const options = await generateAuthenticationOptions({ rpID, userVerification: 'required', timeout: deps.config.accounts.mfa.webauthn.timeout });
    sendJson(res, 200, { options, handle: await issueChallenge(deps, null, 'login', options.challenge) });
  };
}

/** Verifies an assertion for a stored credential and records its counter; the credential's amr, or undefined. */
async function verifyAssertion(deps: AccountsDeps, req: IncomingMessage, credential: WebAuthnCredential, response: Record<string, unknown>,
  challenge: string, requireUserVerification: boolean): Promise<string | undefined> {
  const { rpID, origins } = relyingParty(deps, req);
  const { verifyAuthenticationResponse } = await webauthn();
  try {
    const result = await verifyAuthenticationResponse({
      response: response as never, expectedChallenge: challenge, expectedOrigin: origins, expectedRPID: rpID, requireUserVerification,
      credential: { id: credential.id, publicKey: new Uint8Array(Buffer.from(credential.publicKey, 'base64url')), counter: credential.counter, transports: credential.transports },
    });
    if (!result.verified) return undefined;
    // A counter that did not grow is a cloned authenticator (WebAuthn §6.1.1): refused, atomically.
    if (!await deps.store.mfa.useCredential(credential.id, result.authenticationInfo.newCounter)) return undefined;
    return amrOf(result.authenticationInfo.credentialDeviceType);
  } catch {
    return undefined;
  }
}

/**
 * POST /.gatehouse/passkey/login {handle, response, rd}: signs in with a passkey the user chose to use instead of
 * a password. Refused for an unknown or removed credential, one kept as a second factor only, or a disabled user.
 */
export function passkeyLoginEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const body = await readCheckedBody(deps, req);
    const rd = textField(body, 'rd', 2048) || null;
    const ipKey = `passkey-ip:${ctx.clientIp}`;
    const window = deps.config.auth.throttle.window;
    const counts = await deps.store.loginAttempts.get([ipKey], window);
    if ((counts.get(ipKey) ?? 0) >= deps.config.auth.throttle.max_failures_per_ip) {
      throw new GatehouseError('GATE_ERR_TOO_MANY_ATTEMPTS', undefined, { retryAfterSeconds: Math.ceil(window / 1000) });
    }
    const response = parseResponse(body);
    const challenge = response === undefined ? undefined : await takeChallenge(deps, textField(body, 'handle', 64), 'login', null);
    const credential = response === undefined ? null : await deps.store.mfa.getCredential(String(response.id));
    const user: User | null = credential === null ? null : await deps.store.users.get(credential.userId);
    const amr = challenge !== undefined && credential !== null && credential.passwordless && user !== null && !user.disabled
      ? await verifyAssertion(deps, req, credential, response!, challenge, true) : undefined;
    if (amr === undefined || user === null) {
      await deps.store.loginAttempts.increment([ipKey], window);
      deps.metrics.loginAttempts.inc({ method: 'passkey', provider: 'local', result: 'failure' });
      deps.events.publish('user.login_failed', {
        userId: user?.id ?? null, target: user?.id ?? null, method: 'passkey',
        reason: credential === null ? 'unknown_credential' : !credential.passwordless ? 'second_factor_only' : 'not_verified',
        origin: { actor: user?.id ?? null, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null },
      });
      if (body.kind === 'json') throw new GatehouseError('GATE_ERR_PASSKEY_REFUSED');
      renderLoginPage(deps, req, res, { rd, status: 401, error: 'That passkey was not accepted. Use your password, or another passkey.' });
      return;
    }
    deps.audit.record({ actor: user.id, org: null, action: 'mfa.passkey_used', target: user.id, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null, data: { flow: 'passwordless', credential: credential!.id.slice(0, 16) } });
    await startSession(deps, req, res, ctx, user, body, rd, 'passkey', 'local', 200, [amr, 'user', 'mfa']);
  };
}

/** POST /.gatehouse/mfa/passkey/options (JSON): options for proving a passkey as the second factor. */
export function mfaPasskeyOptionsEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readCheckedBody(deps, req);
    const subject = await mfaSubject(deps, req, body);
    if (subject === undefined) throw new GatehouseError('GATE_ERR_UNAUTHENTICATED');
    const credentials = await deps.store.mfa.listCredentials(subject.userId);
    if (credentials.length === 0) throw new GatehouseError('GATE_ERR_STATE_CONFLICT', 'this account has no passkey');
    const { rpID } = relyingParty(deps, req);
    const { generateAuthenticationOptions } = await webauthn();
    const options = await generateAuthenticationOptions({
      rpID, userVerification: deps.config.accounts.mfa.webauthn.user_verification, timeout: deps.config.accounts.mfa.webauthn.timeout,
      allowCredentials: credentials.map((c) => ({ id: c.id, transports: c.transports })),
    });
    sendJson(res, 200, { options, handle: await issueChallenge(deps, subject.userId, 'mfa', options.challenge) });
  };
}

/** POST /.gatehouse/mfa/passkey {handle, response, rd}: a passkey as the second factor (sign-in or step-up). */
export function mfaPasskeyEndpoint(deps: AccountsDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const body = await readCheckedBody(deps, req);
    const subject = await mfaSubject(deps, req, body);
    if (subject === undefined) throw new GatehouseError('GATE_ERR_UNAUTHENTICATED');
    await checkMfaThrottle(deps, subject.userId, ctx, req);
    const rd = textField(body, 'rd', 2048) || null;
    const response = parseResponse(body);
    const challenge = response === undefined ? undefined : await takeChallenge(deps, textField(body, 'handle', 64), 'mfa', subject.userId);
    const credential = response === undefined ? null : await deps.store.mfa.getCredential(String(response.id));
    const amr = challenge !== undefined && credential !== null && credential.userId === subject.userId
      ? await verifyAssertion(deps, req, credential, response!, challenge, deps.config.accounts.mfa.webauthn.user_verification === 'required') : undefined;
    if (amr === undefined) {
      await deps.store.loginAttempts.increment([mfaThrottleKey(subject.userId)], deps.config.accounts.mfa.window);
      deps.metrics.loginAttempts.inc({ method: 'passkey', provider: 'local', result: 'failure' });
      deps.audit.record({ actor: subject.userId, org: null, action: 'mfa.failure', target: subject.userId, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null, data: { method: 'passkey' } });
      throw new GatehouseError('GATE_ERR_PASSKEY_REFUSED');
    }
    await deps.store.loginAttempts.clear(mfaThrottleKey(subject.userId));
    deps.audit.record({ actor: subject.userId, org: null, action: 'mfa.passkey_used', target: subject.userId, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null, data: { flow: subject.kind, credential: credential!.id.slice(0, 16) } });
    await completeSecondFactor(deps, req, res, ctx, subject, body, rd, [amr]);
  };
}

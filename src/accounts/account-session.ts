import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatehouseError } from '../errors/index.js';
import { wantsHtml } from '../http/respond.js';
import type { CachedSession } from '../sessions/session-cache.js';
import type { NewOutboxMail, User } from '../store/store.js';
import { currentSession } from './account-request.js';
import { publicLink, type AccountsDeps } from './accounts-deps.js';
import { factorsOf, hasFactor, type Factors } from './second-factor.js';

/** The signed-in user of an account page, with their session and factors. */
export interface AccountContext {
  session: CachedSession;
  user: User;
  factors: Factors;
  /** The user has a second factor but this session did not prove one: factors may not be changed from it. */
  mfaLocked: boolean;
}

/**
 * The account behind a request, or undefined after answering: browsers go to the login page (and come back),
 * other clients get 401.
 */
export async function accountContext(deps: AccountsDeps, req: IncomingMessage, res: ServerResponse, returnTo = '/.gatehouse/account'): Promise<AccountContext | undefined> {
  const session = await currentSession(deps, req);
  const user = session === undefined ? null : await deps.store.users.get(session.userId);
  if (session === undefined || user === null || user.disabled) {
    if (wantsHtml(req) && req.method === 'GET') {
      res.writeHead(302, { location: `/.gatehouse/login?rd=${encodeURIComponent(returnTo)}`, 'cache-control': 'no-store', 'content-length': 0 });
      res.end();
      return undefined;
    }
    throw new GatehouseError('GATE_ERR_UNAUTHENTICATED');
  }
  const factors = await factorsOf(deps, user.id);
  return { session, user, factors, mfaLocked: hasFactor(factors) && !session.amr.includes('mfa') };
}

/** Refuses a change to second factors from a session that did not prove the one the account has (step-up first). */
export function requireUnlocked(account: AccountContext): void {
  if (account.mfaLocked) throw new GatehouseError('GATE_ERR_MFA_REQUIRED', 'confirm your second factor before changing it');
}

/** 303 to the account page with a fixed notice (a word from a fixed list, never text from the request). */
export function backToAccount(res: ServerResponse, notice: AccountNotice, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { location: `/.gatehouse/account?notice=${notice}`, 'cache-control': 'no-store', 'content-length': 0, ...headers });
  res.end();
}

/** The notices the account page knows. */
export const ACCOUNT_NOTICES = {
  'verification-sent': 'A new confirmation link is on its way.',
  'profile-saved': 'Your name was saved.',
  'password-changed': 'Your password was changed. Every other session was signed out.',
  'totp-added': 'The authenticator app is set up.',
  'totp-exists': 'An authenticator app is already set up: remove it first to set up another.',
  'totp-removed': 'The authenticator app was removed.',
  'passkey-added': 'The passkey was added.',
  'passkey-renamed': 'The passkey was renamed.',
  'passkey-removed': 'The passkey was removed.',
  'sessions-ended': 'The other sessions were signed out.',
} as const;

export type AccountNotice = keyof typeof ACCOUNT_NOTICES;

/** A security notice to the account's owner ("A passkey was added", ...), sealed for the change's write op (write-ops.ts); null without mail. */
export function securityNotice(deps: AccountsDeps, user: User, event: string, clientIp: string): NewOutboxMail | null {
  return deps.mail.seal({
    template: 'security-notice', to: user.email,
    vars: { email: user.email, name: user.name ?? '', event, client_ip: clientIp, link: publicLink(deps, '/.gatehouse/forgot-password') },
  });
}

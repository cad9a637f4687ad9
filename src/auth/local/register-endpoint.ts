import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConflictError, GatehouseError } from '../../errors/index.js';
import type { EndpointContext } from '../../http/endpoint-router.js';
import { sendJson } from '../../http/respond.js';
import type { User } from '../../store/store.js';
import type { AuthDeps } from '../auth-deps.js';
import { LoginThrottle } from '../login-throttle.js';
import { registerTx } from '../write-ops.js';
import { readParsedBody, stringField } from '../../http/request-body.js';
import { checkNewPassword } from '../passwords/password-policy.js';
import { checkEmail, checkDisplayName } from './account-fields.js';

/** What every accepted registration answers, new address or taken: nothing in it says which. */
export const REGISTRATION_ACCEPTED = {
  status: 'accepted',
  message: 'If this address was new, its account exists now: sign in with the password you chose. Either way, check your email.',
} as const;

/**
 * POST /.gatehouse/register (only when auth.local.registration is open): JSON {email, password, name} -> 202.
 *
 * It answers the same for a new address and a taken one (OWASP Authentication cheat sheet, "account enumeration"):
 * the same 202 body, and the same work before it (one Argon2 hash, one lookup, one counter, one write that
 * queues one mail), so neither the answer nor its timing tells whether the address has an account. A new address
 * gets its account (and the verification link, when verification is on); the owner of a taken one gets a "someone
 * tried to sign up with your address" mail instead (at most `accounts.password_reset.max_per_account` per `window`,
 * so nobody can flood an inbox with it). Nobody is signed in here: the new user signs in with POST /.gatehouse/login,
 * as the owner of a taken address would. That sign-in is where a guesser could still learn an address is taken
 * (their password fails), at the login throttle's pace (auth/login-throttle.ts).
 */
export function registerEndpoint(deps: AuthDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    if (deps.config.auth.local.registration !== 'open' || !deps.config.auth.local.enabled) throw new GatehouseError('GATE_ERR_REGISTRATION_CLOSED');
    const body = await readParsedBody(req, 16 * 1024);
    if (body.kind !== 'json') throw new GatehouseError('GATE_ERR_UNSUPPORTED_MEDIA_TYPE', 'expected application/json');
    deps.csrf.check(req, body);
    const email = checkEmail(stringField(body, 'email', { max: 320 })!);
    const password = stringField(body, 'password', { max: 4096 })!;
    const name = checkDisplayName(stringField(body, 'name', { optional: true, max: 200 }) ?? '');
    const refused = checkNewPassword(password, deps.config.auth.local.password_min_length);
    if (refused !== undefined) throw new GatehouseError('GATE_ERR_WEAK_PASSWORD', `password: ${refused}`);
    const passwordHash = await deps.hasher.hash(password);
    const limits = deps.config.accounts.password_reset;
    const notices = await deps.store.loginAttempts.increment([registrationNoticeKey(email)], limits.window);
    let created: User | undefined;
    let existing = await deps.store.users.getByEmail(email);
    if (existing === null) {
      try {
        // The verification link (when verification is on) is queued in the account's own transaction.
        created = await deps.store.perform(registerTx, { user: { email, name, passwordHash, roles: [] }, link: deps.selfService.registrationLink({ email, name }) });
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        existing = await deps.store.users.getByEmail(email); // a concurrent registration won the address
      }
    }
    const userAgent = req.headers['user-agent'] ?? null;
    if (created !== undefined) {
      deps.audit.record({ actor: created.id, org: null, action: 'user.registered', target: created.id, clientIp: ctx.clientIp, userAgent, data: { method: 'password' } });
    } else if (existing !== null) {
      const notice = (notices.get(registrationNoticeKey(email)) ?? 0) <= limits.max_per_account ? deps.selfService.registrationNotice(existing, ctx.clientIp) : null;
      // One write, as for a new address (the account with its link): the mail sealed before it, as the link's is.
      if (notice !== null) await deps.store.mailOutbox.enqueue([notice]);
      deps.audit.record({ actor: null, org: null, action: 'user.registration_for_existing', target: existing.id, clientIp: ctx.clientIp, userAgent, data: null });
    }
    deps.selfService.mail.kick();
    sendJson(res, 202, REGISTRATION_ACCEPTED);
  };
}

/** Counter of "someone tried to register your address" mails for one account. */
function registrationNoticeKey(email: string): string {
  return `register:${LoginThrottle.accountKey(email)}`;
}

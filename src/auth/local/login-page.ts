import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthDeps } from '../auth-deps.js';
import { safeRedirectTarget } from '../redirect-target.js';
import { field } from '../../pages/page-renderer.js';

/** What a login page shows besides the form: a form-wide error, field errors, the email typed. */
export interface LoginPageOptions {
  rd: string | null;
  status?: number;
  error?: string;
  email?: string;
  fieldErrors?: { email?: string; password?: string };
}

/**
 * Renders the login page: email + password form (when local accounts are on), "forgot password" when mail is set
 * up, a passkey button when passkeys are on, and one button per OAuth provider.
 */
export function renderLoginPage(deps: AuthDeps, req: IncomingMessage, res: ServerResponse, options: LoginPageOptions): void {
  const { token, setCookie } = deps.csrf.issue(req);
  const rd = safeRedirectTarget(options.rd, deps.config.server.public_url, deps.redirectHosts());
  const { config } = deps;
  const local = config.auth.local.enabled;
  const passkeys = local && config.accounts.mfa.webauthn.enabled;
  const providers = deps.providers.map((p) => ({ label: p.label, href: `/.gatehouse/oauth/${encodeURIComponent(p.id)}/start?rd=${encodeURIComponent(rd)}` }));
  deps.pages.send(res, 'login', {
    title: 'Sign in', csrf: token, rd, local,
    alert: options.error,
    forgot_password: config.accounts.password_reset.enabled && (config.mail.smtp !== undefined || config.mail.file !== undefined),
    passkeys, providers, has_providers: providers.length > 0,
    fields: {
      email: field('email', 'Email address', 'email', { autocomplete: 'username webauthn', value: options.email ?? '', maxlength: 320, error: options.fieldErrors?.email }),
      password: field('password', 'Password', 'password', { autocomplete: 'current-password', error: options.fieldErrors?.password }),
    },
  }, { status: options.status ?? 200, headers: { 'set-cookie': setCookie }, ...(passkeys ? { scripts: PASSKEY_SCRIPTS } : {}) });
}

/** The scripts a page with a passkey button loads (served by Gatehouse: no CDN). */
export const PASSKEY_SCRIPTS = ['/.gatehouse/assets/simplewebauthn-browser.js', '/.gatehouse/assets/passkeys.js'];

/** GET /.gatehouse/login */
export function loginPageEndpoint(deps: AuthDeps) {
  return (req: IncomingMessage, res: ServerResponse, ctx: { query: URLSearchParams }): void => {
    renderLoginPage(deps, req, res, { rd: ctx.query.get('rd') });
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeHtml, page, sendHtml } from '../../http/respond.js';
import type { AuthDeps } from '../auth-deps.js';
import { safeRedirectTarget } from '../redirect-target.js';

/** Renders the login page: email + password form (when local accounts are on) and one button per OAuth provider. */
export function renderLoginPage(deps: AuthDeps, req: IncomingMessage, res: ServerResponse, options: { rd: string | null; status?: number; error?: string; email?: string }): void {
  const { token, setCookie } = deps.csrf.issue(req);
  const rd = safeRedirectTarget(options.rd, deps.config.server.public_url, deps.config.auth.allowed_redirect_hosts);
  const error = options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : '';
  const local = deps.config.auth.local.enabled
    ? `<form method="post" action="/.gatehouse/login">` +
      `<input type="hidden" name="csrf" value="${escapeHtml(token)}"><input type="hidden" name="rd" value="${escapeHtml(rd)}">` +
      `<label>Email <input type="email" name="email" autocomplete="username" required value="${escapeHtml(options.email ?? '')}"></label>` +
      `<label>Password <input type="password" name="password" autocomplete="current-password" required></label>` +
      `<button type="submit">Sign in</button></form>`
    : '';
  const buttons = deps.providers.map((p) =>
    `<p><a class="provider" href="/.gatehouse/oauth/${encodeURIComponent(p.id)}/start?rd=${encodeURIComponent(rd)}">Sign in with ${escapeHtml(p.label)}</a></p>`).join('');
  sendHtml(res, options.status ?? 200, page('Sign in', `<h1>Sign in</h1>${error}${local}${buttons}`), { 'set-cookie': setCookie });
}

/** GET /.gatehouse/login */
export function loginPageEndpoint(deps: AuthDeps) {
  return (req: IncomingMessage, res: ServerResponse, ctx: { query: URLSearchParams }): void => {
    renderLoginPage(deps, req, res, { rd: ctx.query.get('rd') });
  };
}

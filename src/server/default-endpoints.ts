import type { EndpointRouter } from '../http/endpoint-router.js';
import { escapeHtml, page, sendHtml } from '../http/respond.js';

/**
 * The login page as it stands before any login method is configured: it tells the visitor that this route needs a
 * session and the operator how to add accounts. The auth concern replaces it with the real form.
 */
export function registerPlaceholderLogin(router: EndpointRouter): void {
  router.add('GET', '/.gatehouse/login', (_req, res, ctx) => {
    const rd = ctx.query.get('rd') ?? '/';
    sendHtml(res, 200, page('Sign in', '<h1>Sign in required</h1>' +
      `<p>The page you asked for (<code>${escapeHtml(rd)}</code>) is protected by Gatehouse.</p>` +
      '<p class="muted">No login method is configured on this instance yet.</p>'));
  });
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERROR_CATALOGUE, type GatehouseError } from '../../errors/index.js';
import { escapeHtml, page, sendHtml, sendJson, wantsHtml } from '../../http/respond.js';
import { OAuthFailure } from './provider.js';

/**
 * Answers a failed OAuth login: a page with the catalogue's message and a way back to sign-in (browsers), or the
 * usual JSON error body. Only the public message is shown; the library's detail stays in the log and the audit.
 * `Referrer-Policy: no-referrer` always: callback URLs carry codes and state.
 */
export function answerFailure(req: IncomingMessage, res: ServerResponse, failure: GatehouseError,
  options: { providerId: string; rd: string; setCookie?: string[] }): void {
  const { rd, setCookie = [] } = options;
  const headers: Record<string, string> = { 'referrer-policy': 'no-referrer' };
  if (failure.retryAfterSeconds !== undefined) headers['retry-after'] = String(failure.retryAfterSeconds);
  if (setCookie.length > 0) res.setHeader('set-cookie', setCookie);
  const message = failure.publicMessage();
  const reason = failure instanceof OAuthFailure ? failure.reason : 'internal_error';
  if (wantsHtml(req)) {
    const retry = `/.gatehouse/oauth/${encodeURIComponent(options.providerId)}/start?rd=${encodeURIComponent(rd)}`;
    const login = `/.gatehouse/login?rd=${encodeURIComponent(rd)}`;
    const local = `<p><a href="${escapeHtml(retry)}">Try again</a> · <a href="${escapeHtml(login)}">Back to sign-in</a></p>`;
    sendHtml(res, failure.status, page('Sign-in failed', `<h1>Sign-in failed</h1><p class="error" role="alert">${escapeHtml(message)}</p>` +
      `${local}<p class="muted">${escapeHtml(failure.code)} (${escapeHtml(reason)})</p>`), headers);
    return;
  }
  sendJson(res, failure.status, { error: ERROR_CATALOGUE[failure.code].reason, code: failure.code, reason, message }, headers);
}

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { GatehouseError, isGatehouseError } from '../../errors/index.js';
import type { EndpointContext } from '../../http/endpoint-router.js';
import type { AuthDeps } from '../auth-deps.js';
import { startSession } from '../local/login-endpoint.js';
import { findOrCreateUser } from './account-linking.js';
import { checkProfile } from './claims.js';
import { answerFailure } from './failure-page.js';
import type { TransactionSealer } from './login-transaction.js';
import { redirectUriFor } from './provider-registry.js';
import { OAuthFailure, type Provider } from './provider.js';

/** Authorization-response parameters that must appear at most once (RFC 6749 §3.1: "MUST NOT be included more than once"). */
const SINGLE_PARAMETERS = ['state', 'code', 'iss', 'error', 'error_description'];

/**
 * GET /.gatehouse/oauth/<id>/callback. In order: the transaction this browser holds for `state` (integrity, expiry,
 * same provider: RFC 9700 §4.7, §4.4), consumed at once (single use, even when what follows fails); then the
 * provider checks the response (RFC 9207 `iss`, provider errors such as access_denied), exchanges the code and
 * validates the ID token and userinfo; then Gatehouse's policy (verified email, allowed domains, required claims);
 * then the account by (provider, subject); then a session exactly as a local login starts one.
 * Every failure is a page or JSON, an audit event and a metric; nothing here ends the browser's existing session.
 */
export function callbackEndpoint(deps: AuthDeps, provider: Provider, sealer: TransactionSealer) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    // The callback URL carries the code and state: no Referer with it to anything this page leads to (RFC 9700 §4.2.4).
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cache-control', 'no-store');
    const userAgent = req.headers['user-agent'] ?? null;
    const clear: string[] = [];
    let rd = '/';
    let subject: string | undefined;
    try {
      const state = ctx.query.get('state');
      // Whatever happens next, the transaction cookie this state names is spent.
      if (state !== null && state !== '' && state.length <= 128) {
        const name = sealer.cookieName(state);
        if (req.headers.cookie?.includes(`${name}=`)) clear.push(sealer.clear(name));
      }
      for (const name of SINGLE_PARAMETERS) {
        if (ctx.query.getAll(name).length > 1) throw new OAuthFailure(name === 'state' ? 'state_mismatch' : 'invalid_response', `parameter ${name} repeated`);
      }
      const { tx } = sealer.open(req, state, provider.id);
      rd = tx.rd;
      await sealer.consume(tx.state);
      // The redirect URI is the configured one plus the query the browser brought; Host never plays a part.
      const callback = new URL(redirectUriFor(deps.config.server.public_url, provider.id));
      callback.search = ctx.query.toString();
      const profile = await provider.complete(callback, { state: tx.state, codeVerifier: tx.codeVerifier, ...(tx.nonce === undefined ? {} : { nonce: tx.nonce }) });
      subject = profile.subject;
      const { email } = checkProfile(profile, provider.config);
      const { user } = await findOrCreateUser(deps.store, deps.audit, provider.config, profile, email, { clientIp: ctx.clientIp, userAgent });
      withExtraSetCookies(res, clear);
      await startSession(deps, req, res, ctx, user, { kind: 'browser' }, rd, 'oauth', provider.id);
    } catch (err) {
      const failure = isGatehouseError(err) ? err : new GatehouseError('GATE_ERR_INTERNAL', undefined, { cause: err });
      const reason = failure instanceof OAuthFailure ? failure.reason : 'internal_error';
      const result = failure instanceof OAuthFailure ? failure.result : 'error';
      const log = { provider: provider.id, reason, code: failure.code, detail: failure.detail, err: failure instanceof OAuthFailure ? undefined : err };
      if (result === 'error') deps.logger.warn(log, 'oauth login failed');
      else deps.logger.info(log, 'oauth login refused');
      deps.metrics.loginAttempts.inc({ method: 'oauth', provider: provider.id, result });
      deps.events.publish('user.login_failed', {
        userId: null, target: subject === undefined ? null : `${provider.id}:${subject}`.slice(0, 300), method: 'oauth', provider: provider.id,
        reason, origin: { actor: null, clientIp: ctx.clientIp, userAgent },
      });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      answerFailure(req, res, failure, { providerId: provider.id, rd, setCookie: clear });
    }
  };
}

/**
 * Adds Set-Cookie values to whatever the next writeHead sends. startSession writes its own Set-Cookie (the
 * session) with writeHead, which would replace any set earlier with setHeader; the transaction cookie must be
 * deleted on that same response.
 */
function withExtraSetCookies(res: ServerResponse, cookies: readonly string[]): void {
  if (cookies.length === 0) return;
  const original = res.writeHead;
  res.writeHead = function writeHead(this: ServerResponse, status: number, ...rest: unknown[]) {
    res.writeHead = original;
    const at = rest.findIndex((a) => typeof a === 'object' && a !== null);
    const headers: OutgoingHttpHeaders = at === -1 ? {} : { ...(rest[at] as OutgoingHttpHeaders) };
    const existing = headers['set-cookie'] ?? res.getHeader('set-cookie');
    headers['set-cookie'] = [...(existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)]), ...cookies];
    if (at === -1) rest.push(headers);
    else rest[at] = headers;
    return (original as (...args: unknown[]) => ServerResponse).call(this, status, ...rest);
  } as typeof res.writeHead;
}

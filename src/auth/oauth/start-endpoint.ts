import type { IncomingMessage, ServerResponse } from 'node:http';
import * as client from 'openid-client';
import type { EndpointContext } from '../../http/endpoint-router.js';
import type { AuthDeps } from '../auth-deps.js';
import { safeRedirectTarget } from '../redirect-target.js';
import type { TransactionSealer } from './login-transaction.js';
import { TRANSACTION_TTL_MS } from './login-transaction.js';
import { answerFailure } from './failure-page.js';
import { OAuthFailure, type Provider } from './provider.js';

/**
 * GET /.gatehouse/oauth/<id>/start?rd=... -> 302 to the provider with a fresh state, PKCE S256 verifier and (OpenID)
 * nonce, all sealed into a per-state cookie (RFC 9700 §2.1, §4.7.1). `rd` is judged here by the same open-redirect
 * rules as local login, and again when the session starts. A provider that cannot be reached is a 503 page and an
 * `oauth.error` audit event; the browser's existing session (if any) is left alone.
 */
export function startEndpoint(deps: AuthDeps, provider: Provider, sealer: TransactionSealer) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    const rd = safeRedirectTarget(ctx.query.get('rd'), deps.config.server.public_url, deps.redirectHosts());
    const state = client.randomState();
    const codeVerifier = client.randomPKCECodeVerifier();
    const nonce = provider.usesNonce ? client.randomNonce() : undefined;
    let location: URL;
    try {
      location = await provider.authorizationUrl({
        state, codeChallenge: await client.calculatePKCECodeChallenge(codeVerifier), ...(nonce === undefined ? {} : { nonce }),
      });
    } catch (err) {
      const failure = err instanceof OAuthFailure ? err : new OAuthFailure('provider_unavailable', String(err), err);
      deps.logger.warn({ provider: provider.id, reason: failure.reason, detail: failure.detail }, 'oauth login could not start');
      deps.metrics.loginAttempts.inc({ method: 'oauth', provider: provider.id, result: failure.result });
      deps.audit.record({ actor: null, org: null, action: 'oauth.error', target: provider.id, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null, data: { phase: 'start', reason: failure.reason, provider: provider.id } });
      answerFailure(req, res, failure, { providerId: provider.id, rd });
      return;
    }
    const cookies = sealer.seal(req, {
      provider: provider.id, state, codeVerifier, rd, expiresAt: Date.now() + TRANSACTION_TTL_MS, ...(nonce === undefined ? {} : { nonce }),
    });
    res.writeHead(302, {
      location: location.href, 'set-cookie': cookies, 'cache-control': 'no-store',
      // The start URL carries rd; the provider has no business seeing it.
      'referrer-policy': 'no-referrer', 'content-length': 0,
    });
    res.end();
  };
}

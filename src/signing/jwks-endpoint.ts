import type { EndpointHandler } from '../http/endpoint-router.js';
import { sendError, sendJson } from '../http/respond.js';
import { SigningUnavailableError } from '../errors/index.js';
import type { SigningKeyRing } from './key-ring.js';

/** Where verifiers fetch the public keys (RFC 7517 JWK Set). */
export const JWKS_PATH = '/.gatehouse/jwks.json';

/**
 * `GET /.gatehouse/jwks.json`: the published public keys, cacheable for `signed_identity.keys.jwks_max_age` (a new key
 * is published that long before it signs, so a verifier's cached copy always knows the signing key). 503 until this
 * replica has read the keys once.
 */
export function jwksEndpoint(ring: SigningKeyRing, maxAgeMs: number): EndpointHandler {
  const cacheControl = `public, max-age=${Math.floor(maxAgeMs / 1000)}`;
  return (req, res) => {
    const { loaded, jwks } = ring.jwks();
    if (!loaded) {
      sendError(req, res, new SigningUnavailableError('the signing keys have not been read yet'));
      return;
    }
    sendJson(res, 200, jwks, { 'cache-control': cacheControl });
  };
}

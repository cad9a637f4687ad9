import * as client from 'openid-client';
import type { Metrics } from '../../metrics/metrics.js';
import type { OAuthProviderConfig } from './config-schema.js';
import { isLoopbackUrl } from './config-schema.js';
import { ProviderHttpClient, type ProviderEndpoint } from './http-client.js';
import { OAuthFailure, type AuthorizationRequest, type ExternalProfile, type Provider, type TransactionSecrets } from './provider.js';

type OidcConfig = Extract<OAuthProviderConfig, { type: 'oidc' | 'google' }>;

/** After a failed discovery, callers get the failure at once for this long before the next try (no hammering). */
export const DISCOVERY_RETRY_MS = 5_000;
/** Discovered metadata is refreshed after this long (a fresh Configuration also starts a fresh JWKS cache). */
export const METADATA_TTL_MS = 24 * 3_600_000;
/** Leeway for iat in the future (the library allows 30 s on exp and nbf; the same here). */
const CLOCK_TOLERANCE_S = 30;

/** Claims of the protocol, never copied from userinfo over the ID token's. */
const PROTOCOL_CLAIMS = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'nonce', 'azp', 'at_hash', 'c_hash', 's_hash', 'auth_time', 'jti', 'sid', 'sub']);

/**
 * Any OpenID provider, by issuer, through openid-client (which builds on oauth4webapi):
 * - discovery checks the metadata names the configured issuer (OpenID Connect Discovery §4.3);
 * - the authorization request carries state, PKCE S256 and a nonce; nothing else is trusted from the browser;
 * - the response is checked per RFC 9207 (an `iss` parameter must equal the issuer, and must be present when the
 *   metadata says `authorization_response_iss_parameter_supported`), then the code is exchanged with the
 *   configured redirect URI (never one derived from Host) and the ID token validated per OpenID Connect Core
 *   3.1.3.7: issuer, audience, azp, exp, nonce, a signature by a key from the provider's JWKS with an algorithm
 *   from `allowed_algorithms`; plus, here, no `iat` in the future;
 * - JWKS: cached by the library, refetched on an unknown kid at most once a minute and otherwise every 5 minutes;
 * - userinfo must name the same `sub` as the ID token (OpenID Connect Core 5.3.2).
 */
export class OidcProvider implements Provider {
  readonly id: string;
  readonly type: OidcConfig['type'];
  readonly label: string;
  readonly usesNonce = true;
  readonly #http: ProviderHttpClient;
  readonly #issuer: string;
  readonly #redirectUri: string;
  #configuration: Promise<client.Configuration> | undefined;
  #configuredAt = 0;
  #endpoints: Partial<Record<string, ProviderEndpoint>> = {};

  constructor(readonly config: OidcConfig, issuer: string, label: string, redirectUri: string, metrics: Metrics,
    private readonly extraAuthorizationParameters: Record<string, string> = {}) {
    this.id = config.id;
    this.type = config.type;
    this.label = label;
    this.#issuer = issuer;
    this.#redirectUri = redirectUri;
    this.#http = new ProviderHttpClient(config.id, config.timeout, metrics, (url) => this.#endpointOf(url));
  }

  async authorizationUrl(request: AuthorizationRequest): Promise<URL> {
    const configuration = await this.#configured();
    return client.buildAuthorizationUrl(configuration, {
      ...this.extraAuthorizationParameters,
      redirect_uri: this.#redirectUri,
      response_type: 'code',
      scope: (this.config.scopes ?? ['openid', 'email', 'profile']).join(' '),
      state: request.state,
      nonce: request.nonce!,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
    });
  }

  async complete(callback: URL, secrets: TransactionSecrets): Promise<ExternalProfile> {
    const configuration = await this.#configured();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, callback, {
        expectedState: secrets.state,
        expectedNonce: secrets.nonce!,
        pkceCodeVerifier: secrets.codeVerifier,
        idTokenExpected: true,
      });
    } catch (err) {
      throw classify(err, 'token');
    }
    const idClaims = tokens.claims();
    if (idClaims === undefined) throw new OAuthFailure('invalid_id_token', 'the token response carries no ID token');
    if (typeof idClaims.iat === 'number' && idClaims.iat > Math.floor(Date.now() / 1000) + CLOCK_TOLERANCE_S) {
      throw new OAuthFailure('invalid_id_token', `ID token iat ${idClaims.iat} is in the future`);
    }
    const subject = idClaims.sub;
    if (subject.length === 0 || subject.length > 255) throw new OAuthFailure('invalid_id_token', 'sub must be 1-255 characters (OpenID Connect Core 2)');
    const claims: Record<string, unknown> = { ...idClaims };
    if (configuration.serverMetadata().userinfo_endpoint !== undefined) {
      let userinfo: client.UserInfoResponse;
      try {
        userinfo = await client.fetchUserInfo(configuration, tokens.access_token, subject);
      } catch (err) {
        throw classify(err, 'userinfo');
      }
      for (const [k, v] of Object.entries(userinfo)) if (!PROTOCOL_CLAIMS.has(k)) claims[k] = v;
    }
    return {
      subject,
      email: typeof claims['email'] === 'string' ? claims['email'] : null,
      // Only a literal true counts: a string "true" or a missing claim is not the provider vouching for the address.
      emailVerified: claims['email_verified'] === true,
      name: typeof claims['name'] === 'string' ? claims['name'].slice(0, 200) : null,
      claims,
    };
  }

  async close(): Promise<void> {
    await this.#http.close();
  }

  /** The discovered configuration, memoised; a failure is remembered for DISCOVERY_RETRY_MS, then retried. */
  #configured(): Promise<client.Configuration> {
    if (this.#configuration !== undefined && Date.now() - this.#configuredAt > METADATA_TTL_MS) this.#configuration = undefined;
    if (this.#configuration === undefined) {
      this.#configuredAt = Date.now();
      const pending = this.#discover();
      this.#configuration = pending;
      pending.catch(() => {
        setTimeout(() => { if (this.#configuration === pending) this.#configuration = undefined; }, DISCOVERY_RETRY_MS).unref();
      });
    }
    return this.#configuration;
  }

  async #discover(): Promise<client.Configuration> {
    const insecure = this.#issuer.startsWith('http://') && isLoopbackUrl(this.#issuer);
    const auth = client.ClientSecretBasic(this.config.client_secret);
    let discovered: client.Configuration;
    try {
      discovered = await client.discovery(new URL(this.#issuer), this.config.client_id, { client_secret: this.config.client_secret }, auth, {
        [client.customFetch]: this.#http.fetch as client.CustomFetch,
        timeout: Math.ceil(this.config.timeout / 1000),
        // Plain http only for loopback issuers (the schema refuses it elsewhere): tests and local development.
        ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      });
    } catch (err) {
      throw classify(err, 'discovery');
    }
    const metadata = discovered.serverMetadata();
    const advertised = metadata.id_token_signing_alg_values_supported;
    // The library accepts any algorithm the provider advertises; narrow that to the allow-list (never none, never HS*).
    const allowed = this.config.allowed_algorithms.filter((alg) => advertised === undefined || advertised.includes(alg));
    if (allowed.length === 0) {
      throw new OAuthFailure('invalid_response', `the provider signs ID tokens with ${advertised?.join(', ')}, none of allowed_algorithms`);
    }
    if (metadata.code_challenge_methods_supported !== undefined && !metadata.code_challenge_methods_supported.includes('S256')) {
      throw new OAuthFailure('invalid_response', 'the provider does not support PKCE S256');
    }
    const { supportsPKCE: _helper, ...plain } = metadata;
    const configuration = new client.Configuration({ ...plain, id_token_signing_alg_values_supported: allowed },
      this.config.client_id, { client_secret: this.config.client_secret }, auth);
    configuration[client.customFetch] = this.#http.fetch as client.CustomFetch;
    configuration.timeout = Math.ceil(this.config.timeout / 1000);
    if (insecure) client.allowInsecureRequests(configuration);
    // oauth4webapi skips the ID token signature when the token came straight from the token endpoint over TLS (which
    // OpenID Connect Core 3.1.3.7 step 6 permits); Gatehouse checks it anyway: keys only from the JWKS, allow-listed
    // algorithms, so a compromised or spoofed token endpoint cannot mint identities.
    client.enableNonRepudiationChecks(configuration);
    this.#endpoints = {};
    if (metadata.token_endpoint) this.#endpoints[metadata.token_endpoint] = 'token';
    if (metadata.userinfo_endpoint) this.#endpoints[metadata.userinfo_endpoint] = 'userinfo';
    if (metadata.jwks_uri) this.#endpoints[metadata.jwks_uri] = 'jwks';
    return configuration;
  }

  #endpointOf(url: string): ProviderEndpoint {
    if (url.includes('/.well-known/')) return 'discovery';
    return this.#endpoints[url] ?? 'other';
  }
}

/** Maps openid-client's errors to a login failure reason; the library's message stays in the log-only detail. */
export function classify(err: unknown, phase: 'discovery' | 'token' | 'userinfo'): OAuthFailure {
  if (err instanceof OAuthFailure) return err;
  const message = err instanceof Error ? err.message : String(err);
  const cause = (err as { cause?: unknown }).cause;
  const detail = `${phase}: ${message}${cause instanceof Error ? ` (${cause.message})` : ''}`;
  if (err instanceof client.AuthorizationResponseError) {
    return new OAuthFailure(err.error === 'access_denied' ? 'access_denied' : 'provider_error', `${err.error}: ${err.error_description ?? ''}`, err);
  }
  if (err instanceof client.ResponseBodyError) {
    if (err.status >= 500 || err.error === 'temporarily_unavailable' || err.error === 'server_error') return new OAuthFailure('provider_unavailable', detail, err);
    // invalid_grant: a code not issued to us, already used, expired, or a PKCE verifier that does not match.
    return new OAuthFailure(err.error === 'invalid_grant' ? 'code_rejected' : 'provider_error', `${phase}: ${err.error}: ${err.error_description ?? ''}`, err);
  }
  if (err instanceof client.WWWAuthenticateChallengeError) return new OAuthFailure('provider_error', detail, err);
  if (isNetworkFailure(err)) return new OAuthFailure('provider_unavailable', detail, err);
  const code = (err as { code?: unknown }).code;
  const claim = findInCauses(err, 'claim');
  if (phase === 'discovery') {
    // OpenID Connect Discovery §4.3: metadata naming another issuer is refused (an impostor or a misconfiguration).
    if (/issuer/i.test(detail)) return new OAuthFailure('issuer_mismatch', detail, err);
    const status = statusOf(cause);
    return new OAuthFailure(status !== undefined && status < 500 ? 'provider_error' : 'provider_unavailable', detail, err);
  }
  switch (code) {
    case 'OAUTH_TIMEOUT':
    case 'OAUTH_ABORT':
      return new OAuthFailure('provider_unavailable', detail, err);
    case 'OAUTH_RESPONSE_IS_NOT_CONFORM':
    case 'OAUTH_RESPONSE_IS_NOT_JSON': {
      const status = statusOf(cause);
      return new OAuthFailure(status !== undefined && status >= 500 ? 'provider_unavailable' : 'provider_error', detail, err);
    }
    case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED':
      if (claim === 'nonce') return new OAuthFailure('nonce_mismatch', detail, err);
      if (claim === 'iss') return new OAuthFailure('issuer_mismatch', detail, err);
      return new OAuthFailure('invalid_id_token', detail, err);
    case 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED':
      return new OAuthFailure(phase === 'userinfo' ? 'userinfo_mismatch' : 'invalid_response', detail, err);
    case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED':
    case 'OAUTH_KEY_SELECTION_FAILED':
    case 'OAUTH_UNSUPPORTED_OPERATION':
      return new OAuthFailure('invalid_id_token', detail, err);
    case 'OAUTH_INVALID_RESPONSE':
      // RFC 9207: a wrong or (when promised) missing `iss` response parameter is a mix-up attempt.
      if (/"iss"/.test(message) || /"iss"/.test(cause instanceof Error ? cause.message : '')) return new OAuthFailure('issuer_mismatch', detail, err);
      if (/"state"/.test(message) || /"state"/.test(cause instanceof Error ? cause.message : '')) return new OAuthFailure('state_mismatch', detail, err);
      if (/"nonce"/.test(detail)) return new OAuthFailure('nonce_mismatch', detail, err);
      return new OAuthFailure(phase === 'userinfo' ? 'userinfo_mismatch' : 'invalid_id_token', detail, err);
    default:
      return new OAuthFailure(phase === 'userinfo' ? 'userinfo_mismatch' : 'invalid_response', detail, err);
  }
}

function isNetworkFailure(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.name === 'HeadersTimeoutError' || e.name === 'BodyTimeoutError' || e.name === 'ConnectTimeoutError' || e.name === 'SocketError') return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|UND_ERR_.*)$/.test(code)) return true;
    if (e instanceof TypeError && e.message === 'fetch failed') return true;
  }
  return false;
}

/** The first `key` property found along an error's cause chain (the library nests its details). */
function findInCauses(err: unknown, key: string): unknown {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const value = (e as Record<string, unknown>)[key];
    if (value !== undefined) return value;
  }
  return undefined;
}

function statusOf(value: unknown): number | undefined {
  return typeof (value as { status?: unknown } | undefined)?.status === 'number' ? (value as { status: number }).status : undefined;
}

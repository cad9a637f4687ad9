import type { Metrics } from '../../metrics/metrics.js';
import type { OAuthProviderConfig } from './config-schema.js';
import { ProviderHttpClient, type ProviderEndpoint } from './http-client.js';
import { OAuthFailure, type AuthorizationRequest, type ExternalProfile, type Provider, type TransactionSecrets } from './provider.js';

type GitHubConfig = Extract<OAuthProviderConfig, { type: 'github' }>;

/**
 * GitHub (or GitHub Enterprise Server): OAuth 2.0 without an ID token, so identity comes from the API with the
 * access token: GET /user (the numeric `id` is the subject; logins can be renamed and reused) and GET /user/emails,
 * where only the primary address marked verified counts. State is checked by the callback endpoint before this
 * runs; PKCE S256 is sent (GitHub verifies it when present). The token exchange is written out here (a few lines of
 * RFC 6749 §4.1.3) because GitHub answers errors with 200 and a JSON `error`, which generic clients misread.
 */
export class GitHubProvider implements Provider {
  readonly id: string;
  readonly type = 'github' as const;
  readonly label: string;
  readonly usesNonce = false;
  readonly #http: ProviderHttpClient;
  readonly #tokenUrl: string;
  readonly #userUrl: string;
  readonly #emailsUrl: string;

  constructor(readonly config: GitHubConfig, private readonly redirectUri: string, metrics: Metrics) {
    this.id = config.id;
    this.label = config.label ?? 'GitHub';
    this.#tokenUrl = `${config.base_url}/login/oauth/access_token`;
    this.#userUrl = `${config.api_url}/user`;
    this.#emailsUrl = `${config.api_url}/user/emails`;
    const endpoints: Record<string, ProviderEndpoint> = { [this.#tokenUrl]: 'token', [this.#userUrl]: 'user', [this.#emailsUrl]: 'emails' };
    this.#http = new ProviderHttpClient(config.id, config.timeout, metrics, (url) => endpoints[url] ?? 'other');
  }

  async authorizationUrl(request: AuthorizationRequest): Promise<URL> {
    const url = new URL(`${this.config.base_url}/login/oauth/authorize`);
    url.search = new URLSearchParams({
      client_id: this.config.client_id,
      redirect_uri: this.redirectUri,
      scope: (this.config.scopes ?? ['read:user', 'user:email']).join(' '),
      state: request.state,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
      allow_signup: 'false',
    }).toString();
    return url;
  }

  async complete(callback: URL, secrets: TransactionSecrets): Promise<ExternalProfile> {
    const params = callback.searchParams;
    const error = params.get('error');
    if (error !== null) {
      throw new OAuthFailure(error === 'access_denied' ? 'access_denied' : 'provider_error', `${error}: ${params.get('error_description') ?? ''}`);
    }
    if (params.get('state') !== secrets.state) throw new OAuthFailure('state_mismatch', 'state differs from the transaction');
    const code = params.get('code');
    if (code === null || code === '' || code.length > 512) throw new OAuthFailure('invalid_response', 'the callback carries no usable code');

    const token = await this.#json('token', this.#tokenUrl, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'gatehouse' },
      body: new URLSearchParams({
        client_id: this.config.client_id, client_secret: this.config.client_secret, code,
        redirect_uri: this.redirectUri, code_verifier: secrets.codeVerifier,
      }).toString(),
    });
    if (typeof token['error'] === 'string') {
      // bad_verification_code: a code not issued to us, used, expired, or a PKCE verifier that does not match.
      throw new OAuthFailure(token['error'] === 'bad_verification_code' ? 'code_rejected' : 'provider_error', `token: ${token['error']}: ${String(token['error_description'] ?? '')}`);
    }
    const accessToken = token['access_token'];
    if (typeof accessToken !== 'string' || accessToken === '' || String(token['token_type'] ?? '').toLowerCase() !== 'bearer') {
      throw new OAuthFailure('invalid_response', 'token: no bearer access_token in the response');
    }
    const api = { accept: 'application/vnd.github+json', authorization: `Bearer ${accessToken}`, 'x-github-api-version': '2022-11-28', 'user-agent': 'gatehouse' };
    const user = await this.#json('user', this.#userUrl, { method: 'GET', headers: api });
    const id = user['id'];
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) throw new OAuthFailure('invalid_response', 'user: no numeric id');
    const emails = await this.#json('emails', this.#emailsUrl, { method: 'GET', headers: api });
    const list = Array.isArray(emails) ? emails as unknown[] : [];
    const primary = list.find((e): e is { email: string; verified: boolean } =>
      typeof e === 'object' && e !== null && (e as { primary?: unknown }).primary === true && typeof (e as { email?: unknown }).email === 'string');
    const login = typeof user['login'] === 'string' ? user['login'] : null;
    const name = typeof user['name'] === 'string' && user['name'] !== '' ? user['name'].slice(0, 200) : login;
    return {
      subject: String(id),
      email: primary?.email ?? null,
      emailVerified: primary?.verified === true,
      name,
      claims: { sub: String(id), id, login, name, email: primary?.email ?? null, email_verified: primary?.verified === true },
    };
  }

  async close(): Promise<void> {
    await this.#http.close();
  }

  async #json(what: string, url: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<Record<string, unknown>> {
    let response: Response;
    let text: string;
    try {
      response = await this.#http.fetch(url, init);
      text = await response.text();
    } catch (err) {
      throw new OAuthFailure('provider_unavailable', `${what}: ${(err as Error).message}${(err as { cause?: Error }).cause ? ` (${(err as { cause: Error }).cause.message})` : ''}`, err);
    }
    if (response.status >= 500 || response.status === 429) throw new OAuthFailure('provider_unavailable', `${what}: HTTP ${response.status}`);
    if (response.status !== 200) throw new OAuthFailure('provider_error', `${what}: HTTP ${response.status}`);
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
      return parsed as Record<string, unknown>;
    } catch {
      throw new OAuthFailure('invalid_response', `${what}: the body is not JSON`);
    }
  }
}

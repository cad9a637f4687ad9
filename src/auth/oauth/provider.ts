import { GatehouseError, type ErrorCode } from '../../errors/index.js';
import type { OAuthProviderConfig } from './config-schema.js';

/** What a provider needs to build an authorization request for one login transaction. */
export interface AuthorizationRequest {
  readonly state: string;
  /** RFC 7636 S256 challenge of the transaction's verifier. */
  readonly codeChallenge: string;
  /** OpenID providers only. */
  readonly nonce?: string;
}

/** What a provider proved about the user, after every protocol check passed. */
export interface ExternalProfile {
  /** The provider's stable subject identifier (OIDC `sub`, GitHub's numeric user id), at most 255 characters. */
  readonly subject: string;
  readonly email: string | null;
  /** True only when the provider vouches for the address (OIDC `email_verified`, GitHub's verified primary). */
  readonly emailVerified: boolean;
  readonly name: string | null;
  /** Every claim the policy (required claims, role mapping) may look at. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** The login transaction as a provider sees it at the callback. */
export interface TransactionSecrets {
  readonly state: string;
  readonly codeVerifier: string;
  readonly nonce?: string;
}

/**
 * One external identity provider (like oauth2-proxy's providers.Provider): one implementation per file, selected by
 * `type` in provider-registry.ts. Implementations throw OAuthFailure for every way a login can fail.
 */
export interface Provider {
  readonly id: string;
  readonly type: OAuthProviderConfig['type'];
  /** Button text on the login page. */
  readonly label: string;
  readonly config: OAuthProviderConfig;
  /** Whether the authorization request carries a nonce (OpenID providers). */
  readonly usesNonce: boolean;
  /** The provider's authorization endpoint with every parameter of this request. */
  authorizationUrl(request: AuthorizationRequest): Promise<URL>;
  /**
   * Validates the authorization response (`callback` is the configured redirect URI plus the query the browser
   * brought), exchanges the code and returns who the user is.
   */
  complete(callback: URL, secrets: TransactionSecrets): Promise<ExternalProfile>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Why an OAuth login failed: a stable word for audit events, logs and tests. */
export type OAuthFailureReason =
  | 'state_missing' | 'state_mismatch' | 'transaction_expired' | 'replayed' | 'provider_mismatch'
  | 'access_denied' | 'provider_error' | 'provider_unavailable' | 'code_rejected'
  | 'issuer_mismatch' | 'invalid_id_token' | 'nonce_mismatch' | 'userinfo_mismatch' | 'invalid_response'
  | 'email_missing' | 'email_unverified' | 'email_domain' | 'claim_missing'
  | 'account_conflict' | 'disabled';

/** How each reason is answered: the catalogue code, and the `result` label of gatehouse_login_attempts_total. */
const ANSWERS: Record<OAuthFailureReason, { code: ErrorCode; result: 'failure' | 'denied' | 'error' }> = {
  state_missing: { code: 'GATE_ERR_OAUTH_STATE', result: 'failure' },
  state_mismatch: { code: 'GATE_ERR_OAUTH_STATE', result: 'failure' },
  transaction_expired: { code: 'GATE_ERR_OAUTH_STATE', result: 'failure' },
  replayed: { code: 'GATE_ERR_OAUTH_STATE', result: 'failure' },
  provider_mismatch: { code: 'GATE_ERR_OAUTH_STATE', result: 'failure' },
  access_denied: { code: 'GATE_ERR_OAUTH_ACCESS_DENIED', result: 'denied' },
  provider_error: { code: 'GATE_ERR_OAUTH_PROVIDER_ERROR', result: 'failure' },
  provider_unavailable: { code: 'GATE_ERR_OAUTH_PROVIDER_UNAVAILABLE', result: 'error' },
  code_rejected: { code: 'GATE_ERR_OAUTH_INVALID_RESPONSE', result: 'failure' },
  issuer_mismatch: { code: 'GATE_ERR_OAUTH_INVALID_RESPONSE', result: 'failure' },
  invalid_id_token: { code: 'GATE_ERR_OAUTH_INVALID_RESPONSE', result: 'failure' },
  nonce_mismatch: { code: 'GATE_ERR_OAUTH_INVALID_RESPONSE', result: 'failure' },
  userinfo_mismatch: { code: 'GATE_ERR_OAUTH_INVALID_RESPONSE', result: 'failure' },
  invalid_response: { code: 'GATE_ERR_OAUTH_INVALID_RESPONSE', result: 'failure' },
  email_missing: { code: 'GATE_ERR_OAUTH_EMAIL_UNVERIFIED', result: 'denied' },
  email_unverified: { code: 'GATE_ERR_OAUTH_EMAIL_UNVERIFIED', result: 'denied' },
  email_domain: { code: 'GATE_ERR_OAUTH_NOT_ALLOWED', result: 'denied' },
  claim_missing: { code: 'GATE_ERR_OAUTH_NOT_ALLOWED', result: 'denied' },
  account_conflict: { code: 'GATE_ERR_OAUTH_ACCOUNT_CONFLICT', result: 'denied' },
  disabled: { code: 'GATE_ERR_OAUTH_ACCOUNT_DISABLED', result: 'denied' },
};

/** A failed OAuth login: a GatehouseError (so it answers like every other error) with a reason for the audit. */
export class OAuthFailure extends GatehouseError {
  readonly reason: OAuthFailureReason;
  readonly result: 'failure' | 'denied' | 'error';

  constructor(reason: OAuthFailureReason, detail?: string, cause?: unknown) {
    const answer = ANSWERS[reason];
    super(answer.code, undefined, { detail, cause, retryable: reason === 'provider_unavailable' });
    this.reason = reason;
    this.result = answer.result;
  }
}

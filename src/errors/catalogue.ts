/**
 * Every error Gatehouse can raise, by stable code. `reason` is the short word a client sees in `{"error": ...}`,
 * `status` is the HTTP status a request gets, `expose` says
 * whether the message may be shown to the client (otherwise the client sees only the code's public message and
 * the detail goes to the log). docs/errors.md documents each code; test/errors/catalogue.test.ts keeps them in step.
 */
export const ERROR_CATALOGUE = {
  GATE_ERR_CONFIG_INVALID: { reason: 'config_invalid', status: 500, expose: false, message: 'configuration is invalid' },
  GATE_ERR_BAD_REQUEST: { reason: 'bad_request', status: 400, expose: true, message: 'bad request' },
  GATE_ERR_CONTROL_CHARACTER: { reason: 'invalid_request', status: 400, expose: true, message: 'control characters are not allowed' },
  GATE_ERR_BAD_PATH: { reason: 'bad_path', status: 400, expose: true, message: 'request path cannot be judged safely' },
  GATE_ERR_NOT_FOUND: { reason: 'not_found', status: 404, expose: true, message: 'not found' },
  GATE_ERR_UNAUTHENTICATED: { reason: 'unauthenticated', status: 401, expose: true, message: 'unauthenticated' },
  GATE_ERR_FORBIDDEN: { reason: 'forbidden', status: 403, expose: true, message: 'forbidden' },
  GATE_ERR_METHOD_NOT_ALLOWED: { reason: 'method_not_allowed', status: 405, expose: true, message: 'method not allowed' },
  GATE_ERR_PAYLOAD_TOO_LARGE: { reason: 'payload_too_large', status: 413, expose: true, message: 'payload too large' },
  GATE_ERR_OVERLOADED: { reason: 'overloaded', status: 503, expose: true, message: 'overloaded' },
  GATE_ERR_HASH_POOL_FULL: { reason: 'overloaded', status: 429, expose: true, message: 'too many logins at once; retry shortly' },
  GATE_ERR_AUDIT_QUEUE_FULL: { reason: 'overloaded', status: 503, expose: true, message: 'audit queue full; retry shortly' },
  GATE_ERR_INVALID_CREDENTIALS: { reason: 'invalid_credentials', status: 401, expose: true, message: 'wrong email or password' },
  GATE_ERR_TOO_MANY_ATTEMPTS: { reason: 'too_many_attempts', status: 429, expose: true, message: 'too many failed logins; try again later' },
  GATE_ERR_THROTTLE_UNAVAILABLE: { reason: 'unavailable', status: 503, expose: true, message: 'login attempts cannot be counted right now; try again shortly' },
  GATE_ERR_REGISTRATION_CLOSED: { reason: 'registration_closed', status: 403, expose: true, message: 'registration is closed' },
  GATE_ERR_WEAK_PASSWORD: { reason: 'weak_password', status: 400, expose: true, message: 'password refused' },
  GATE_ERR_CSRF: { reason: 'csrf', status: 403, expose: true, message: 'the form expired or did not come from this site; reload and try again' },
  GATE_ERR_UNSUPPORTED_MEDIA_TYPE: { reason: 'unsupported_media_type', status: 415, expose: true, message: 'unsupported content type' },
  GATE_ERR_UPSTREAM_UNAVAILABLE: { reason: 'bad_gateway', status: 502, expose: true, message: 'upstream unavailable' },
  GATE_ERR_UPSTREAM_TIMEOUT: { reason: 'gateway_timeout', status: 504, expose: true, message: 'upstream timed out' },
  GATE_ERR_STORE_NOT_FOUND: { reason: 'not_found', status: 404, expose: true, message: 'not found' },
  GATE_ERR_STORE_CONFLICT: { reason: 'conflict', status: 409, expose: true, message: 'conflict' },
  GATE_ERR_STORE_BUSY: { reason: 'unavailable', status: 503, expose: false, message: 'storage is busy' },
  GATE_ERR_STORE_DOWN: { reason: 'unavailable', status: 503, expose: false, message: 'storage is unavailable' },
  GATE_ERR_STORE_SCHEMA_TOO_NEW: { reason: 'internal', status: 500, expose: false, message: 'database schema is newer than this Gatehouse' },
  GATE_ERR_SIGNING_UNAVAILABLE: { reason: 'unavailable', status: 503, expose: false, message: 'the identity assertion cannot be signed right now' },
  GATE_ERR_INTERNAL: { reason: 'internal', status: 500, expose: false, message: 'internal error' },
  // ---- start-up (src/cli/startup-failure.ts prints these as one line naming the setting to change) ----
  GATE_ERR_LISTEN: { reason: 'internal', status: 500, expose: false, message: 'cannot listen on the configured address' },
  // ---- forward-auth (src/server/forward-auth-transport.ts) ----
  GATE_ERR_FORWARD_AUTH_UNTRUSTED: { reason: 'forward_auth_untrusted', status: 403, expose: true, message: 'forward-auth answers only the proxies in server.trusted_proxies' },
  GATE_ERR_FORWARD_AUTH_BAD_REQUEST: { reason: 'forward_auth_bad_request', status: 400, expose: true, message: 'the forward-auth request does not describe an original request' },
  // ---- the SSO API (src/api) ----
  GATE_ERR_VALIDATION: { reason: 'invalid_request', status: 400, expose: true, message: 'the request is invalid' },
  GATE_ERR_STATE_CONFLICT: { reason: 'conflict', status: 409, expose: true, message: 'the change conflicts with the current state' },
  GATE_ERR_WEBHOOK_TARGET_REFUSED: { reason: 'invalid_request', status: 400, expose: true, message: 'webhook target refused' },
  // ---- OAuth 2.0 / OpenID Connect login (src/auth/oauth) ----
  GATE_ERR_OAUTH_STATE: { reason: 'oauth_state', status: 400, expose: true, message: 'this sign-in link is unknown, expired or already used; start again' },
  GATE_ERR_OAUTH_ACCESS_DENIED: { reason: 'oauth_access_denied', status: 403, expose: true, message: 'the identity provider did not grant access' },
  GATE_ERR_OAUTH_PROVIDER_ERROR: { reason: 'oauth_provider_error', status: 502, expose: true, message: 'the identity provider answered with an error' },
  GATE_ERR_OAUTH_INVALID_RESPONSE: { reason: 'oauth_invalid_response', status: 401, expose: true, message: 'the sign-in could not be verified; start again' },
  GATE_ERR_OAUTH_PROVIDER_UNAVAILABLE: { reason: 'oauth_provider_unavailable', status: 503, expose: true, message: 'the identity provider is unreachable or too slow; try again shortly' },
  GATE_ERR_OAUTH_NOT_ALLOWED: { reason: 'oauth_not_allowed', status: 403, expose: true, message: 'this account at the identity provider may not sign in here' },
  GATE_ERR_OAUTH_EMAIL_UNVERIFIED: { reason: 'oauth_email_unverified', status: 403, expose: true, message: 'the identity provider did not vouch for a verified email address' },
  GATE_ERR_OAUTH_ACCOUNT_CONFLICT: { reason: 'oauth_account_conflict', status: 409, expose: true, message: 'an account with this email already exists; sign in with it, or ask an administrator to link this provider' },
  GATE_ERR_OAUTH_ACCOUNT_DISABLED: { reason: 'oauth_account_disabled', status: 403, expose: true, message: 'this account is disabled' },
  // ---- accounts: verification, reset, second factors (src/accounts) ----
  GATE_ERR_LINK_INVALID: { reason: 'link_invalid', status: 400, expose: true, message: 'this link is unknown, expired or already used; ask for a new one' },
  GATE_ERR_FEATURE_DISABLED: { reason: 'not_available', status: 404, expose: true, message: 'this feature is not enabled here' },
  GATE_ERR_MFA_REQUIRED: { reason: 'mfa_required', status: 401, expose: true, message: 'this needs a second factor' },
  GATE_ERR_MFA_INVALID: { reason: 'mfa_invalid', status: 401, expose: true, message: 'the code or passkey was not accepted' },
  GATE_ERR_EMAIL_UNVERIFIED: { reason: 'email_unverified', status: 403, expose: true, message: 'this needs a confirmed email address' },
  GATE_ERR_PASSKEY_REFUSED: { reason: 'passkey_refused', status: 401, expose: true, message: 'the passkey was not accepted' },
} as const satisfies Record<string, { reason: string; status: number; expose: boolean; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

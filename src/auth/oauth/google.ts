import type { Metrics } from '../../metrics/metrics.js';
import type { OAuthProviderConfig } from './config-schema.js';
import { OidcProvider } from './oidc.js';

/** Google's issuer identifier (https://accounts.google.com/.well-known/openid-configuration). */
export const GOOGLE_ISSUER = 'https://accounts.google.com';

/**
 * Google: an OpenID provider preset. Same checks as any `oidc` provider; Google marks addresses it verified with
 * `email_verified: true`, and Workspace accounts carry the domain in `hd`. With exactly one allowed domain the
 * account chooser is narrowed to it with the `hd` parameter (a convenience only: the email domain is still checked
 * on the verified claims at the callback).
 */
export function googleProvider(config: Extract<OAuthProviderConfig, { type: 'google' }>, redirectUri: string, metrics: Metrics): OidcProvider {
  const extra: Record<string, string> = { prompt: 'select_account' };
  if (config.allowed_email_domains.length === 1) extra['hd'] = config.allowed_email_domains[0]!;
  return new OidcProvider(config, GOOGLE_ISSUER, config.label ?? 'Google', redirectUri, metrics, extra);
}

import { isIP } from 'node:net';
import { z } from 'zod';
import { durationMs, httpUrl } from '../../config/schema-helpers.js';

/**
 * JWS algorithms an ID token may be signed with. Asymmetric only: `none` would accept anything and HS* would make
 * the client secret a signing key (RFC 9700 §4.x, OpenID Connect Core 3.1.3.7 step 7).
 */
export const ID_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type IdTokenAlgorithm = (typeof ID_TOKEN_ALGORITHMS)[number];

/** Whether a URL's host is the loopback interface (the only place plain-http providers are accepted). */
export function isLoopbackUrl(raw: string): boolean {
  try {
    const host = new URL(raw).hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (host === 'localhost') return true;
    if (isIP(host) === 4) return host.startsWith('127.');
    return host === '::1';
  } catch {
    return false;
  }
}

/** An https:// URL, or http:// on loopback (tests and local development). */
const providerUrl = httpUrl.refine((value) => value.startsWith('https://') || isLoopbackUrl(value), {
  message: 'expected an https:// URL (plain http is accepted only on loopback, for development)',
}).transform((value) => value.replace(/\/+$/, ''));

const scope = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'expected a scope token (RFC 6749 §3.3: no spaces or quotes)');
const claimName = z.string().regex(/^[A-Za-z0-9_.:/-]{1,128}$/, 'expected a claim name');
const roleName = z.string().min(1, 'expected a role name').max(128);
const domain = z.string().regex(/^(?!-)[A-Za-z0-9-]{1,63}(?:\.(?!-)[A-Za-z0-9-]{1,63})+$/, 'expected a domain such as example.com (no "@", no wildcard)')
  .transform((d) => d.toLowerCase());

const common = {
  /** Stable id: the URL segment (/.gatehouse/oauth/<id>/...), the metrics label and the identity link key. */
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'expected 1-32 lower-case letters, digits, "_" or "-"'),
  /** Text on the login button ("Sign in with <label>"); default: the provider's name or its id. */
  label: z.string().min(1).max(64).optional(),
  client_id: z.string().min(1, 'expected the client id the provider issued'),
  /** Use ${ENV}: secrets do not belong in the file. */
  client_secret: z.string().min(1, 'expected the client secret (use ${ENV_VAR})'),
  scopes: z.array(scope).min(1).optional(),
  /** When set, only emails whose domain is exactly one of these (case-insensitive) may sign in. */
  allowed_email_domains: z.array(domain).default([]),
  /** Claim -> accepted values: the claim (or one element of it, for lists such as groups) must equal one of them. */
  required_claims: z.record(claimName, z.array(z.union([z.string(), z.number(), z.boolean()])).min(1, 'expected at least one value')).default({}),
  /** Claim -> (claim value -> Gatehouse roles), e.g. groups: { platform-admins: [admin] }. Recomputed at every login. */
  role_mapping: z.record(claimName, z.record(z.string().min(1), z.array(roleName))).default({}),
  /**
   * Link a first login to an existing account with the same email, when the provider says the email is verified.
   * Off by default: otherwise whoever controls an address at the provider could take over the local account.
   */
  link_by_verified_email: z.boolean().default(false),
  /** Bound on each call to the provider (connect, headers and body). */
  timeout: durationMs.default(5_000).refine((ms) => ms > 0 && ms <= 60_000, 'expected a timeout between 1ms and 60s'),
};

const oidcAlgorithms = z.array(z.enum(ID_TOKEN_ALGORITHMS, {
  error: `expected one of ${ID_TOKEN_ALGORITHMS.join(', ')} ("none" and HS* are never accepted)`,
})).min(1).default(['RS256', 'ES256', 'PS256', 'EdDSA']);

const oidcProvider = z.strictObject({
  ...common,
  type: z.literal('oidc'),
  /** The issuer identifier; discovery reads <issuer>/.well-known/openid-configuration and checks it names itself. */
  issuer: providerUrl,
  allowed_algorithms: oidcAlgorithms,
});

const googleProvider = z.strictObject({
  ...common,
  type: z.literal('google'),
  allowed_algorithms: oidcAlgorithms,
});

const githubProvider = z.strictObject({
  ...common,
  type: z.literal('github'),
  /** github.com or a GitHub Enterprise Server (https://github.example.com). */
  base_url: providerUrl.default('https://github.com'),
  /** https://api.github.com, or https://github.example.com/api/v3 for Enterprise Server. */
  api_url: providerUrl.default('https://api.github.com'),
});

/** One external identity provider under `auth.providers`. */
export const oauthProviderSchema = z.discriminatedUnion('type', [oidcProvider, googleProvider, githubProvider], {
  error: 'expected a provider with type oidc, google or github',
});

export type OAuthProviderConfig = z.output<typeof oauthProviderSchema>;

/** Cross-field checks on `auth.providers` and `auth.default_provider` (ids unique, the default names one of them). */
export function checkProviders(
  auth: { providers: readonly { id: string }[]; default_provider?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  const seen = new Map<string, number>();
  auth.providers.forEach((p, i) => {
    const first = seen.get(p.id);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['providers', i, 'id'], message: `duplicate provider id "${p.id}" (first used by providers[${first}])` });
    else seen.set(p.id, i);
  });
  if (auth.default_provider !== undefined && !seen.has(auth.default_provider)) {
    ctx.addIssue({
      code: 'custom', path: ['default_provider'],
      message: `unknown provider "${auth.default_provider}" (configured: ${[...seen.keys()].join(', ') || 'none'})`,
    });
  }
}

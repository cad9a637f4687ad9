import type { OAuthProviderConfig } from './config-schema.js';
import { OAuthFailure, type ExternalProfile } from './provider.js';

/**
 * Splits an email into local part and domain, strictly: exactly one "@", both parts non-empty, no whitespace or
 * control characters, at most 254 characters (RFC 5321 §4.5.3.1.3). Returns undefined otherwise. Quoted local parts
 * ("a@b"@example.com) are refused on purpose: they are how "allowed domain" checks get fooled.
 */
export function splitEmail(email: string): { local: string; domain: string } | undefined {
  if (email.length === 0 || email.length > 254) return undefined;
  if (/[\s\u0000-\u001f\u007f"\\]/.test(email)) return undefined;
  const at = email.indexOf('@');
  if (at <= 0 || at !== email.lastIndexOf('@') || at === email.length - 1) return undefined;
  const domain = email.slice(at + 1).toLowerCase();
  // A domain is dot-separated labels; a trailing dot, an empty label or a port/path is not an email domain.
  if (!/^(?!-)[a-z0-9-]{1,63}(?:\.(?!-)[a-z0-9-]{1,63})*$/.test(domain)) return undefined;
  return { local: email.slice(0, at), domain };
}

/**
 * The policy every OAuth login passes before any account is looked up: a verified email (the only kind that may
 * name an account), in an allowed domain (exact match, case-insensitive: "example.com" does not admit
 * "evil-example.com" nor "example.com.evil.net"), and every required claim present with an accepted value.
 */
export function checkProfile(profile: ExternalProfile, config: OAuthProviderConfig): { email: string } {
  if (profile.email === null || profile.email === '') throw new OAuthFailure('email_missing', 'the provider sent no email');
  const parts = splitEmail(profile.email);
  if (parts === undefined) throw new OAuthFailure('email_domain', `malformed email ${JSON.stringify(profile.email.slice(0, 320))}`);
  if (!profile.emailVerified) throw new OAuthFailure('email_unverified', `email ${profile.email} is not verified at the provider`);
  if (config.allowed_email_domains.length > 0 && !config.allowed_email_domains.includes(parts.domain)) {
    throw new OAuthFailure('email_domain', `domain ${parts.domain} is not in allowed_email_domains`);
  }
  for (const [claim, accepted] of Object.entries(config.required_claims)) {
    if (!claimMatches(profile.claims[claim], accepted)) {
      throw new OAuthFailure('claim_missing', `required claim ${claim} is missing or has no accepted value`);
    }
  }
  return { email: profile.email };
}

/** Whether a claim (a scalar, or a list such as groups) holds one of the accepted values (exact, typed). */
export function claimMatches(value: unknown, accepted: readonly (string | number | boolean)[]): boolean {
  const values = Array.isArray(value) ? value : [value];
  return values.some((v) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && accepted.includes(v));
}

/**
 * Applies `role_mapping` to a user's roles. Roles the mapping can grant are "managed": they are recomputed from
 * the claims at every login (so leaving a group at the provider removes the role at the next login); roles it never
 * grants (assigned locally, by the CLI or an admin) are kept untouched.
 */
export function mapRoles(current: readonly string[], claims: Readonly<Record<string, unknown>>, mapping: OAuthProviderConfig['role_mapping']): string[] {
  const managed = new Set<string>();
  const granted = new Set<string>();
  for (const [claim, byValue] of Object.entries(mapping)) {
    const raw = claims[claim];
    const values = (Array.isArray(raw) ? raw : [raw]).filter((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean').map(String);
    for (const [value, roles] of Object.entries(byValue)) {
      for (const role of roles) managed.add(role);
      if (values.includes(value)) for (const role of roles) granted.add(role);
    }
  }
  const kept = current.filter((r) => !managed.has(r));
  return [...kept, ...[...granted].filter((r) => !kept.includes(r))];
}

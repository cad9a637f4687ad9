import type { RoutePolicy } from '../config/index.js';
import type { Identity } from './identity.js';

/**
 * What a route's policy says about one caller. `mfa_required`: the caller may pass after proving a second factor
 * (step-up); `email_unverified`: after confirming their email.
 */
export type Decision = 'allow' | 'deny' | 'unauthenticated' | 'forbidden' | 'email_unverified' | 'mfa_required';

/**
 * Judges a caller against a route's policy. Runs on every request, cache hit or not, so role changes bite at once.
 * Who the caller is comes first (roles, organizations), then how sure we are of it (email, second factor): a user
 * who lacks the role is refused without being asked for a second factor.
 */
export function decide(policy: RoutePolicy, identity: Identity | undefined): Decision {
  if (policy === 'public') return 'allow';
  if (policy === 'deny') return 'deny';
  if (identity === undefined) return 'unauthenticated';
  if (policy === 'authenticated') return 'allow';
  if ('orgs' in policy) {
    // identity.orgs holds approved memberships only (the session's org loader drops pending, rejected, suspended).
    const roles = policy.org_roles;
    if (!identity.orgs.some((o) => policy.orgs.includes(o.slug) && (roles === undefined || (roles as readonly string[]).includes(o.role)))) return 'forbidden';
  } else if ('roles' in policy) {
    if (!policy.roles.some((role) => identity.roles.includes(role))) return 'forbidden';
  }
  if (policy.verified_email === true && identity.emailVerified !== true) return 'email_unverified';
  if (policy.mfa === true && !hasSecondFactor(identity)) return 'mfa_required';
  return 'allow';
}

/** Whether the session was signed in with a second factor (RFC 8176 amr "mfa"). */
export function hasSecondFactor(identity: Pick<Identity, 'amr'>): boolean {
  return identity.amr?.includes('mfa') === true;
}

/** Whether a policy needs to know who the caller is (public and deny routes never look at sessions). */
export function needsIdentity(policy: RoutePolicy): boolean {
  return policy !== 'public' && policy !== 'deny';
}

import type { RoutePolicy } from '../config/index.js';
import type { Identity } from './identity.js';

/** What a route's policy says about one caller. `email_unverified`: the caller may pass after confirming their email. */
export type Decision = 'allow' | 'deny' | 'unauthenticated' | 'forbidden' | 'email_unverified';

/**
 * Judges a caller against a route's policy. Runs on every request, cache hit or not, so role changes bite at once.
 * Who the caller is comes first (roles, organizations), then how sure we are of it (a confirmed email).
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
  return 'allow';
}

/** Whether a policy needs to know who the caller is (public and deny routes never look at sessions). */
export function needsIdentity(policy: RoutePolicy): boolean {
  return policy !== 'public' && policy !== 'deny';
}

import type { RoutePolicy } from '../config/index.js';
import type { Identity } from './identity.js';

/** What a route's policy says about one caller. */
export type Decision = 'allow' | 'deny' | 'unauthenticated' | 'forbidden';

/** Judges a caller against a route's policy. Runs on every request, cache hit or not, so role changes bite at once. */
export function decide(policy: RoutePolicy, identity: Identity | undefined): Decision {
  if (policy === 'public') return 'allow';
  if (policy === 'deny') return 'deny';
  if (identity === undefined) return 'unauthenticated';
  if (policy === 'authenticated') return 'allow';
  if ('orgs' in policy) {
    // identity.orgs holds approved memberships only (the session's org loader drops pending, rejected, suspended).
    const roles = policy.org_roles;
    return identity.orgs.some((o) => policy.orgs.includes(o.slug) && (roles === undefined || (roles as readonly string[]).includes(o.role)))
      ? 'allow' : 'forbidden';
  }
  return policy.roles.some((role) => identity.roles.includes(role)) ? 'allow' : 'forbidden';
}

/** Whether a policy needs to know who the caller is (public and deny routes never look at sessions). */
export function needsIdentity(policy: RoutePolicy): boolean {
  return policy !== 'public' && policy !== 'deny';
}

/**
 * Orders route policies by strictness, for the route table's rule that a request is judged by the strictest
 * route any reading of its path selects. A policy is at least as strict as another when every caller it lets
 * through, the other lets through too: public < authenticated < { roles } / { orgs } (deny never reaches here;
 * the table handles it first). Two role lists are ordered when one is a subset of the other; otherwise (roles
 * against orgs, or lists that overlap partly) there is no order, and the table refuses the request.
 */
import type { RoutePolicy } from '../config/schema.js';

/** 1 when `a` is stricter than `b`, -1 when looser, 0 when they admit the same callers, undefined when unordered. */
export function comparePolicies(a: RoutePolicy, b: RoutePolicy): 1 | 0 | -1 | undefined {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra > rb ? 1 : -1;
  if (typeof a === 'string' || typeof b === 'string') return 0; // same rank, both plain words: the same policy
  if ('roles' in a && 'roles' in b) return bySubset(a.roles, b.roles);
  if ('orgs' in a && 'orgs' in b) {
    const orgs = bySubset(a.orgs, b.orgs);
    // An absent org_roles admits every role, so it is the loosest list.
    const roles = a.org_roles === undefined
      ? (b.org_roles === undefined ? 0 : -1)
      : (b.org_roles === undefined ? 1 : bySubset(a.org_roles, b.org_roles));
    if (orgs === undefined || roles === undefined) return undefined;
    if (orgs === 0) return roles;
    if (roles === 0 || roles === orgs) return orgs;
    return undefined;
  }
  return undefined;
}

function rank(policy: RoutePolicy): number {
  if (policy === 'public') return 0;
  if (policy === 'authenticated') return 1;
  if (policy === 'deny') return 3;
  return 2;
}

/** A policy listing fewer names (a subset) admits fewer callers, so it is the stricter one. */
function bySubset(a: readonly string[], b: readonly string[]): 1 | 0 | -1 | undefined {
  const aInB = a.every((x) => b.includes(x));
  const bInA = b.every((x) => a.includes(x));
  if (aInB && bInA) return 0;
  if (aInB) return 1;
  if (bInA) return -1;
  return undefined;
}

import type { RoutePolicy } from '../../config/index.js';
import { GatehouseError } from '../../errors/index.js';
import type { CompiledRoute } from '../../routing/index.js';
import type { Identity } from '../3-authenticate/identity.js';

/** Why a caller may pass. */
export type AllowReason = 'public' | 'authenticated' | 'role' | 'org';
/** Why a known (or irrelevant) caller may not pass: each is a 403. */
export type DenyReason = 'route_closed' | 'missing_role' | 'missing_org' | 'upgrade_not_allowed';

/** How an unauthenticated caller signs in: a page for browsers, a challenge for API clients (RFC 9110 §11.6.1). */
export interface SignIn {
  /** The login page (or the default provider's start) with `rd` back to the request. */
  readonly location: string;
  /** The WWW-Authenticate value a 401 carries. */
  readonly challenge: string;
}

/**
 * What the authorize stage decided, with its reason and what the caller needs to act on it (Pomerium's evaluator:
 * a decision with reasons and headers): the identity to state upstream, the error to answer, or how to sign in.
 */
export type Decision =
  | { readonly kind: 'allow'; readonly reason: AllowReason; readonly identity: Identity | undefined }
  | { readonly kind: 'deny'; readonly reason: DenyReason; readonly message: string }
  | { readonly kind: 'unauthenticated'; readonly reason: 'no_session'; readonly signIn: SignIn };

/** The WWW-Authenticate challenge of a 401 (RFC 6750 §3). */
export const BEARER_CHALLENGE = 'Bearer realm="gatehouse"';

const DENY_MESSAGES: Record<DenyReason, string> = {
  route_closed: 'this route is closed',
  missing_role: 'you lack a role this route requires',
  missing_org: 'you lack a role this route requires',
  upgrade_not_allowed: 'upgrades are not allowed on this route',
};
const DENIED = Object.fromEntries(Object.entries(DENY_MESSAGES)
  .map(([reason, message]) => [reason, Object.freeze({ kind: 'deny', reason, message })])) as Record<DenyReason, Decision & { kind: 'deny' }>;
const ALLOW_PUBLIC: Decision = Object.freeze({ kind: 'allow', reason: 'public', identity: undefined });

/** Whether a policy needs to know who the caller is (public and deny routes never look at sessions). */
export function needsIdentity(policy: RoutePolicy): boolean {
  return policy !== 'public' && policy !== 'deny';
}

/**
 * Judges a caller against a route's policy. Runs on every request, cache hit or not, so role changes bite at once.
 * An unauthenticated caller is sent to `signInUrl(rd)`, `rd` being the request's path and query.
 */
export function decide(policy: RoutePolicy, identity: Identity | undefined, rd: string, signInUrl: (rd: string) => string): Decision {
  if (policy === 'public') return ALLOW_PUBLIC;
  if (policy === 'deny') return DENIED.route_closed;
  if (identity === undefined) return { kind: 'unauthenticated', reason: 'no_session', signIn: { location: signInUrl(rd), challenge: BEARER_CHALLENGE } };
  if (policy === 'authenticated') return { kind: 'allow', reason: 'authenticated', identity };
  if ('orgs' in policy) {
    // identity.orgs holds approved memberships only (the session's org loader drops pending, rejected, suspended).
    const roles = policy.org_roles;
    return identity.orgs.some((o) => policy.orgs.includes(o.slug) && (roles === undefined || (roles as readonly string[]).includes(o.role)))
      ? { kind: 'allow', reason: 'org', identity } : DENIED.missing_org;
  }
  return policy.roles.some((role) => identity.roles.includes(role)) ? { kind: 'allow', reason: 'role', identity } : DENIED.missing_role;
}

/** The authorize stage: the route's policy, then whether the route takes upgrades. */
export type Authorize = (route: CompiledRoute, identity: Identity | undefined, pathAndQuery: string, upgrade: boolean) => Decision;

/**
 * Builds the authorize stage. `signInUrl(rd)` says where an unauthenticated browser goes (the login page, or the
 * default OAuth provider's start); it is read per decision, so it may change after the stage is built.
 */
export function createAuthorize(signInUrl: (rd: string) => string): Authorize {
  return (route, identity, pathAndQuery, upgrade) => {
    const decision = decide(route.config.policy, identity, pathAndQuery, signInUrl);
    if (upgrade && decision.kind === 'allow' && !route.config.websockets) return DENIED.upgrade_not_allowed;
    return decision;
  };
}

/** The error a refusal is answered with. */
export function refusalError(decision: Exclude<Decision, { kind: 'allow' }>): GatehouseError {
  return decision.kind === 'unauthenticated'
    ? new GatehouseError('GATE_ERR_UNAUTHENTICATED')
    : new GatehouseError('GATE_ERR_FORBIDDEN', decision.message);
}

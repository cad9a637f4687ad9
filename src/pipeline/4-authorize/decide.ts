import type { RoutePolicy } from '../../config/index.js';
import { GatehouseError } from '../../errors/index.js';
import type { CompiledRoute } from '../../routing/index.js';
import type { Identity } from '../3-authenticate/identity.js';

/** Why a caller may pass. */
export type AllowReason = 'public' | 'authenticated' | 'role' | 'org';
/** Why a known (or irrelevant) caller may not pass: each is a 403. */
export type DenyReason = 'route_closed' | 'missing_role' | 'missing_org' | 'upgrade_not_allowed' | 'upgrade_protocol_not_allowed' | 'email_unverified';

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
  | { readonly kind: 'unauthenticated'; readonly reason: 'no_session' | 'mfa_required'; readonly signIn: SignIn };

/** The WWW-Authenticate challenge of a 401 (RFC 6750 §3). */
export const BEARER_CHALLENGE = 'Bearer realm="gatehouse"';

/** The challenge when the session is known but lacks a second factor (RFC 9470 §3, step-up). */
export const STEP_UP_CHALLENGE = 'Bearer realm="gatehouse", error="insufficient_user_authentication", error_description="a second factor is required"';

const DENY_MESSAGES: Record<DenyReason, string> = {
  route_closed: 'this route is closed',
  missing_role: 'you lack a role this route requires',
  missing_org: 'you lack a role this route requires',
  upgrade_not_allowed: 'upgrades are not allowed on this route',
  upgrade_protocol_not_allowed: 'this route allows upgrades to websocket only (or to the protocols it lists)',
  email_unverified: 'this needs a confirmed email address',
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
 * An unauthenticated caller is sent to `signInUrl(rd)`, `rd` being the request's path and query. Who the caller is
 * comes first (roles, organizations), then how sure we are of it (a confirmed email, a second factor): a user who
 * lacks the role is refused without being asked for a second factor.
 */
export function decide(policy: RoutePolicy, identity: Identity | undefined, rd: string, signInUrl: (rd: string) => string): Decision {
  if (policy === 'public') return ALLOW_PUBLIC;
  if (policy === 'deny') return DENIED.route_closed;
  if (identity === undefined) return { kind: 'unauthenticated', reason: 'no_session', signIn: { location: signInUrl(rd), challenge: BEARER_CHALLENGE } };
  if (policy === 'authenticated') return { kind: 'allow', reason: 'authenticated', identity };
  let reason: AllowReason = 'authenticated';
  if ('orgs' in policy) {
    // identity.orgs holds approved memberships only (the session's org loader drops pending, rejected, suspended).
    const roles = policy.org_roles;
    if (!identity.orgs.some((o) => policy.orgs.includes(o.slug) && (roles === undefined || (roles as readonly string[]).includes(o.role)))) return DENIED.missing_org;
    reason = 'org';
  } else if ('roles' in policy) {
    if (!policy.roles.some((role) => identity.roles.includes(role))) return DENIED.missing_role;
    reason = 'role';
  }
  if (policy.verified_email === true && identity.emailVerified !== true) return DENIED.email_unverified;
  if (policy.mfa === true && !hasSecondFactor(identity)) {
    // Step-up: the session is known but not strong enough; it proves a second factor and comes back to `rd`.
    return { kind: 'unauthenticated', reason: 'mfa_required', signIn: { location: `/.gatehouse/mfa?rd=${encodeURIComponent(rd)}`, challenge: STEP_UP_CHALLENGE } };
  }
  return { kind: 'allow', reason, identity };
}

/** Whether the session was signed in with a second factor (RFC 8176 amr "mfa"). */
export function hasSecondFactor(identity: Pick<Identity, 'amr'>): boolean {
  return identity.amr?.includes('mfa') === true;
}

/**
 * The authorize stage: the route's policy, then whether the route takes upgrades, and every protocol offered
 * (`protocols`, as the judge read the Upgrade header; absent means websocket).
 */
export type Authorize = (route: CompiledRoute, identity: Identity | undefined, pathAndQuery: string, upgrade: boolean,
  protocols?: readonly string[]) => Decision;

/**
 * Builds the authorize stage. `signInUrl(rd)` says where an unauthenticated browser goes (the login page, or the
 * default OAuth provider's start); it is read per decision, so it may change after the stage is built.
 */
export function createAuthorize(signInUrl: (rd: string) => string): Authorize {
  return (route, identity, pathAndQuery, upgrade, protocols) => {
    const decision = decide(route.config.policy, identity, pathAndQuery, signInUrl);
    if (upgrade && decision.kind === 'allow') {
      if (!route.config.websockets || route.upgradeProtocols.length === 0) return DENIED.upgrade_not_allowed;
      if (protocols !== undefined && !protocols.every((p) => route.upgradeProtocols.includes(p.toLowerCase()))) {
        return DENIED.upgrade_protocol_not_allowed;
      }
    }
    return decision;
  };
}

/** The error a refusal is answered with. */
export function refusalError(decision: Exclude<Decision, { kind: 'allow' }>): GatehouseError {
  if (decision.kind === 'unauthenticated') {
    return new GatehouseError(decision.reason === 'mfa_required' ? 'GATE_ERR_MFA_REQUIRED' : 'GATE_ERR_UNAUTHENTICATED');
  }
  return decision.reason === 'email_unverified' ? new GatehouseError('GATE_ERR_EMAIL_UNVERIFIED') : new GatehouseError('GATE_ERR_FORBIDDEN', decision.message);
}

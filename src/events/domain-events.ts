import type { Logger } from '../log/logger.js';
import { EventBus } from './event-bus.js';

/** Who caused an event and from where: what the audit trail records beside it. */
export interface EventOrigin {
  /** The user who acted (null: nobody signed in, or the system). */
  readonly actor: string | null;
  readonly clientIp: string | null;
  readonly userAgent: string | null;
}

/** What changed on an account (src/accounts), named as its audit action. */
export type AccountAction =
  | 'user.password_reset' | 'user.password_changed' | 'user.email_verified'
  | 'mfa.totp_enrolled' | 'mfa.totp_removed' | 'mfa.passkey_added' | 'mfa.passkey_removed' | 'mfa.recovery_codes_created';

/** What a platform owner (or an operator) did to an account, named as its audit action. */
export type AdminAction = 'user.roles_changed' | 'user.disabled' | 'session.revoked';

/** The membership changes of the SSO API, named as their audit actions and webhook events. */
export type MembershipAction =
  | 'member.added' | 'member.removed' | 'member.left' | 'member.role_changed'
  | 'org.approved' | 'org.rejected' | 'org.suspended';

/**
 * Every domain event, by type. Each is published by its owner once the fact is durable (a session stored, a
 * transaction committed); who reacts is the subscribers' business:
 *
 * | event                | published by                                 | subscribers                                       |
 * | -------------------- | -------------------------------------------- | ------------------------------------------------- |
 * | `user.login`         | auth/local/login-endpoint.ts `startSession`  | audit (actors/audit-events.ts), webhooks (api/login-webhooks.ts) |
 * | `user.login_failed`  | auth/local/login-endpoint.ts, auth/oauth/callback-endpoint.ts, accounts/passkeys.ts | audit          |
 * | `user.login_throttled` | auth/local/login-endpoint.ts               | audit                                             |
 * | `user.logout`        | auth/local/logout-endpoint.ts                | audit                                             |
 * | `account.administered` | auth/account-admin.ts (SSO API, CLI)       | audit, session cache eviction (sessions/evict-on-change.ts) |
 * | `membership.changed` | the SSO API through api/commit-change.ts     | audit, session cache eviction (sessions/evict-on-change.ts) |
 * | `account.changed`    | src/accounts (reset, verification, factors)  | audit                                             |
 * | `outbox.queued`      | api/commit-change.ts, api/login-webhooks.ts  | the webhook deliverer (wakes at once)             |
 */
export interface DomainEvents {
  /** A user signed in (any method): a new session is stored. */
  'user.login': {
    readonly userId: string;
    readonly email: string;
    /** `password` or `oauth`. */
    readonly method: string;
    /** `local` or the OAuth provider's id. */
    readonly provider: string;
    /** How the session signed in (RFC 8176 amr values: pwd, otp, hwk, swk, mfa...). */
    readonly amr: readonly string[];
    readonly sessionId: string;
    readonly origin: EventOrigin;
  };
  /**
   * A sign-in was refused (wrong password, unknown account or passkey, a provider's refusal). `target` is who it
   * was about when known: a user id, a canonical email, or `provider:subject`.
   */
  'user.login_failed': {
    readonly userId: string | null;
    readonly target: string | null;
    /** `password`, `oauth` or `passkey`. */
    readonly method: string;
    /** The OAuth provider's id; absent for local methods. */
    readonly provider?: string;
    readonly reason: string;
    readonly origin: EventOrigin;
  };
  /** A password sign-in was refused before any check because of too many failures (per account or per address). */
  'user.login_throttled': {
    readonly target: string;
    readonly scope: string;
    /** Whether the attempt came from a browser with a valid device cookie for this account. */
    readonly knownDevice: boolean;
    readonly origin: EventOrigin;
  };
  /** A session ended at its owner's request. */
  'user.logout': { readonly userId: string | null; readonly sessionId: string; readonly origin: EventOrigin };
  /**
   * Who belongs to an organization, or what a membership grants, changed (committed): these users' cached sessions
   * carry stale memberships (X-Auth-Orgs, org policies).
   */
  'membership.changed': {
    readonly action: MembershipAction;
    readonly orgId: string;
    /** The member (or, for an organization's status, the organization) the change is about. */
    readonly target: string;
    readonly userIds: readonly string[];
    readonly data: Readonly<Record<string, unknown>>;
    readonly origin: EventOrigin;
  };
  /**
   * An account's credentials or proofs changed (committed): a password reset or change, a confirmed address, a
   * second factor enrolled or removed, new recovery codes, an operator's reset of second factors.
   */
  'account.changed': {
    readonly action: AccountAction;
    readonly userId: string;
    readonly data: Readonly<Record<string, unknown>> | null;
    readonly origin: EventOrigin;
  };
  /**
   * A platform owner or operator changed an account (stored): its platform roles, disabled it (its sessions are
   * revoked), or ended its sessions. After a role change the user's cached sessions carry stale roles.
   */
  'account.administered': {
    readonly action: AdminAction;
    readonly userId: string;
    readonly data: Readonly<Record<string, unknown>>;
    readonly origin: EventOrigin;
  };
  /** Webhook deliveries were committed to the outbox. */
  'outbox.queued': { readonly count: number };
}

/** The instance's event bus. */
export type DomainEventBus = EventBus<DomainEvents>;

/** Builds the instance's event bus; a subscriber's failure is logged (the fact it reacted to stands). */
export function createDomainEvents(logger: Logger): DomainEventBus {
  return new EventBus<DomainEvents>((err, type) => logger.warn({ err, event: type }, 'a subscriber failed to handle a domain event'));
}

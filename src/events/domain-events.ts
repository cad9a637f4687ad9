import type { Logger } from '../log/logger.js';
import { EventBus } from './event-bus.js';

/** Who caused an event and from where: what the audit trail records beside it. */
export interface EventOrigin {
  /** The user who acted (null: nobody signed in, or the system). */
  readonly actor: string | null;
  readonly clientIp: string | null;
  readonly userAgent: string | null;
}

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
 * | `user.logout`        | auth/local/logout-endpoint.ts                | audit                                             |
 * | `membership.changed` | the SSO API through api/commit-change.ts     | audit, session cache eviction (sessions/evict-on-change.ts) |
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
    readonly sessionId: string;
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
  /** Webhook deliveries were committed to the outbox. */
  'outbox.queued': { readonly count: number };
}

/** The instance's event bus. */
export type DomainEventBus = EventBus<DomainEvents>;

/** Builds the instance's event bus; a subscriber's failure is logged (the fact it reacted to stands). */
export function createDomainEvents(logger: Logger): DomainEventBus {
  return new EventBus<DomainEvents>((err, type) => logger.warn({ err, event: type }, 'a subscriber failed to handle a domain event'));
}

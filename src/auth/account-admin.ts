import type { Store, User } from '../store/store.js';
import type { SessionService } from '../sessions/session-service.js';
import type { AdminAction, DomainEventBus } from '../events/domain-events.js';

/** Who made a change, for the audit trail. */
export interface ChangeContext {
  readonly actor: string | null;
  readonly clientIp?: string | null;
  readonly userAgent?: string | null;
}

/**
 * Changes to a user that must reach their cached sessions at once on this replica: a disable revokes every session
 * (the store and the cache), and each change is published as `account.administered` once stored: the audit trail
 * records it and, for a role change, the session cache drops the user's cached sessions so the next request re-reads
 * the roles (sessions/evict-on-change.ts). The SSO API and tests use these; other replicas learn through the change
 * feed (or, at the latest, when their cache entry's TTL runs out).
 */
export class AccountAdmin {
  readonly #store: Store;
  readonly #sessions: SessionService;
  readonly #events: DomainEventBus;

  constructor(store: Store, sessions: SessionService, events: DomainEventBus) {
    this.#store = store;
    this.#sessions = sessions;
    this.#events = events;
  }

  #publish(action: AdminAction, userId: string, data: Record<string, unknown>, ctx: ChangeContext): void {
    this.#events.publish('account.administered', {
      action, userId, data, origin: { actor: ctx.actor, clientIp: ctx.clientIp ?? null, userAgent: ctx.userAgent ?? null },
    });
  }

  /** Replaces a user's platform roles. */
  async setRoles(userId: string, roles: readonly string[], ctx: ChangeContext): Promise<User> {
    const unique = [...new Set(roles.map((r) => r.trim()).filter((r) => r !== ''))];
    const user = await this.#store.users.update(userId, { roles: unique });
    this.#publish('user.roles_changed', userId, { roles: unique }, ctx);
    return user;
  }

  /** Disables a user and ends all their sessions. */
  async disable(userId: string, ctx: ChangeContext): Promise<{ user: User; sessionsEnded: number }> {
    const user = await this.#store.users.update(userId, { disabled: true });
    const sessionsEnded = await this.#sessions.revokeUser(userId);
    this.#publish('user.disabled', userId, { sessions_ended: sessionsEnded }, ctx);
    return { user, sessionsEnded };
  }

  /** Ends a user's sessions (all, or all but one: "log out everywhere else"). */
  async endSessions(userId: string, ctx: ChangeContext & { exceptSessionId?: string }): Promise<number> {
    const ended = await this.#sessions.revokeUser(userId, ctx.exceptSessionId);
    this.#publish('session.revoked', userId, { count: ended, all: ctx.exceptSessionId === undefined }, ctx);
    return ended;
  }
}

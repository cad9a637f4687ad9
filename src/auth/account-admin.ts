import type { Store, User } from '../store/store.js';
import type { SessionService } from '../sessions/session-service.js';
import type { AuditRecorder } from '../actors/audit-writer.js';

/** Who made a change, for the audit trail. */
export interface ChangeContext {
  readonly actor: string | null;
  readonly clientIp?: string | null;
  readonly userAgent?: string | null;
}

/**
 * Changes to a user that must reach their cached sessions at once on this replica: a role change evicts the cached
 * sessions (the next request re-reads the roles), a disable revokes every session. The SSO API and tests use these;
 * other replicas learn through the change feed (or, at the latest, when their cache entry's TTL runs out).
 */
export class AccountAdmin {
  readonly #store: Store;
  readonly #sessions: SessionService;
  readonly #audit: AuditRecorder;

  constructor(store: Store, sessions: SessionService, audit: AuditRecorder) {
    this.#store = store;
    this.#sessions = sessions;
    this.#audit = audit;
  }

  /** Replaces a user's platform roles. */
  async setRoles(userId: string, roles: readonly string[], ctx: ChangeContext): Promise<User> {
    const unique = [...new Set(roles.map((r) => r.trim()).filter((r) => r !== ''))];
    const user = await this.#store.users.update(userId, { roles: unique });
    this.#sessions.evictUser(userId);
    this.#audit.record({ actor: ctx.actor, org: null, action: 'user.roles_changed', target: userId, clientIp: ctx.clientIp ?? null, userAgent: ctx.userAgent ?? null, data: { roles: unique } });
    return user;
  }

  /** Disables a user and ends all their sessions. */
  async disable(userId: string, ctx: ChangeContext): Promise<{ user: User; sessionsEnded: number }> {
    const user = await this.#store.users.update(userId, { disabled: true });
    const sessionsEnded = await this.#sessions.revokeUser(userId);
    this.#audit.record({ actor: ctx.actor, org: null, action: 'user.disabled', target: userId, clientIp: ctx.clientIp ?? null, userAgent: ctx.userAgent ?? null, data: { sessions_ended: sessionsEnded } });
    return { user, sessionsEnded };
  }

  /** Ends a user's sessions (all, or all but one: "log out everywhere else"). */
  async endSessions(userId: string, ctx: ChangeContext & { exceptSessionId?: string }): Promise<number> {
    const ended = await this.#sessions.revokeUser(userId, ctx.exceptSessionId);
    this.#audit.record({ actor: ctx.actor, org: null, action: 'session.revoked', target: userId, clientIp: ctx.clientIp ?? null, userAgent: ctx.userAgent ?? null, data: { count: ended, all: ctx.exceptSessionId === undefined } });
    return ended;
  }
}

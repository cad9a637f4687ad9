import type { DomainEventBus } from '../events/domain-events.js';
import type { SessionService } from './session-service.js';

/**
 * The session cache's subscription to the domain events: when memberships or platform roles change, the users'
 * cached sessions are dropped on this replica at once, so their next request reloads X-Auth-Orgs and roles and the
 * policies see the change. (Other replicas learn through the change feed, written in the change's own
 * transaction. A disable or "end sessions" revokes the sessions itself, which evicts them too.)
 */
export function evictOnMembershipChange(events: DomainEventBus, sessions: Pick<SessionService, 'evictUser'>): void {
  events.on('membership.changed', (e) => {
    for (const id of e.userIds) sessions.evictUser(id);
  });
  events.on('account.administered', (e) => {
    if (e.action === 'user.roles_changed') sessions.evictUser(e.userId);
  });
}

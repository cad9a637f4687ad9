import type { DomainEventBus } from '../events/domain-events.js';
import type { SessionService } from './session-service.js';

/**
 * The session cache's subscription to the domain events: when memberships change, the users' cached sessions are
 * dropped on this replica at once, so their next request reloads X-Auth-Orgs and org policies see the change.
 * (Other replicas learn through the change feed, written in the change's own transaction.)
 */
export function evictOnMembershipChange(events: DomainEventBus, sessions: Pick<SessionService, 'evictUser'>): void {
  events.on('membership.changed', (e) => {
    for (const id of e.userIds) sessions.evictUser(id);
  });
}

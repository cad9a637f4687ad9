import type { DomainEventBus } from '../events/domain-events.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import type { MemberRole, Organization } from '../store/store.js';
import { queueLoginEventsTx } from './write-ops.js';

/** Most memberships whose organizations hear of one login (bounds the work a login starts). */
const MAX_ORGS = 200;

/**
 * `user.login` webhooks: every login method publishes `user.login` (DomainEvents), and the SSO API queues a delivery
 * to each approved organization of the user whose webhooks subscribe to it. Queued right after the login, not in
 * its transaction (the login itself writes nothing an outbox row could join), in the background, all organizations
 * in one transaction (one writer message on SQLite): a failure is logged and the login stands.
 */
export function queueLoginWebhooks(events: DomainEventBus, store: Store, logger: Logger): void {
  events.on('user.login', (e) => {
    void queueLogin(store, events, e.userId, { method: e.method, provider: e.provider })
      .catch((err: unknown) => logger.warn({ err, user: e.userId }, 'could not queue user.login webhooks'));
  });
}

async function queueLogin(store: Store, events: DomainEventBus, userId: string, how: Record<string, unknown>): Promise<void> {
  const user = await store.users.get(userId);
  if (!user) return;
  const memberships = await store.memberships.listForUser(userId, { limit: MAX_ORGS });
  const orgs: { org: Organization; role: MemberRole }[] = [];
  for (const m of memberships.items) {
    const org = await store.orgs.get(m.orgId);
    if (org && org.status === 'approved') orgs.push({ org, role: m.role });
  }
  if (orgs.length === 0) return;
  const queued = await store.perform(queueLoginEventsTx, { user: { id: user.id, email: user.email }, orgs, how });
  if (queued > 0) events.publish('outbox.queued', { count: queued });
}

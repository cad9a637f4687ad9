import type { MembershipAction } from '../events/domain-events.js';
import type { Organization, StoreRepos } from '../store/store.js';
import type { ApiCall } from './context.js';
import { enqueueEvent, type WebhookEvent } from './events.js';

/** What a change announces from inside its transaction; acted on only once it has committed. */
export interface ChangeEffects {
  /** Queues `event` to the organization's subscribed webhooks, in this transaction (the outbox). */
  webhook(org: Organization, event: WebhookEvent, data: Record<string, unknown>): Promise<void>;
  /** Announces, after commit, a membership change: the users whose cached memberships are stale, and the audit entry. */
  membership(change: { action: MembershipAction; orgId: string; target: string; userIds: readonly string[]; data: Record<string, unknown> }): void;
}

/**
 * Runs one change of the SSO API the same way every time: the change and its outbox rows commit in one transaction
 * (or none of it does); then, committed, its domain events are published: `membership.changed` (the audit trail
 * records it, this replica's session cache drops the users' entries; other replicas learn from the change feed the
 * repos wrote in the same transaction) and `outbox.queued` (the webhook deliverer looks at once instead of at its
 * next poll). A transaction the store runs again starts with no effects announced.
 */
export async function commitChange<T>(call: ApiCall, change: (tx: StoreRepos, effects: ChangeEffects) => Promise<T>): Promise<T> {
  let queued = 0;
  let changes: Parameters<ChangeEffects['membership']>[0][] = [];
  const result = await call.deps.store.transaction(async (tx) => {
    queued = 0;
    changes = [];
    return change(tx, {
      async webhook(org, event, data) {
        queued += await enqueueEvent(tx, org, event, data);
      },
      membership(c) {
        changes.push(c);
      },
    });
  });
  const origin = { actor: call.caller?.user.id ?? null, clientIp: call.ctx.clientIp, userAgent: call.req.headers['user-agent']?.slice(0, 512) ?? null };
  for (const c of changes) call.deps.events.publish('membership.changed', { ...c, origin });
  if (queued > 0) call.deps.events.publish('outbox.queued', { count: queued });
  return result;
}

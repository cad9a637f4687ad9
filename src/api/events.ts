import { randomUUID } from 'node:crypto';
import type { Organization, StoreRepos } from '../store/store.js';

/** Events a webhook may subscribe to; `*` means all of them. */
export const WEBHOOK_EVENTS = [
  'member.added', 'member.removed', 'member.role_changed',
  'org.approved', 'org.rejected', 'org.suspended',
  'user.login', 'webhook.test',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** The JSON every delivery carries: its own id (also a header, for idempotency), the event, the org and the data. */
export interface WebhookEnvelope {
  id: string;
  event: WebhookEvent;
  created_at: string;
  org: { id: string; slug: string };
  data: Record<string, unknown>;
}

/**
 * Queues a delivery of `event` to every active webhook of `org` subscribed to it, inside the caller's transaction
 * (the outbox: the change and its deliveries commit together or not at all). Returns how many were queued.
 */
export async function enqueueEvent(tx: StoreRepos, org: Organization, event: WebhookEvent, data: Record<string, unknown>,
  now = new Date()): Promise<number> {
  const hooks = await tx.webhooks.listSubscribed(org.id, event);
  if (hooks.length === 0) return 0;
  await tx.deliveries.enqueue(hooks.map((h) => {
    const id = randomUUID();
    return { id, webhookId: h.id, event, payload: envelope(id, event, org, data, now), createdAt: now, nextAttemptAt: now };
  }));
  return hooks.length;
}

/** Builds a delivery's body. */
export function envelope(id: string, event: WebhookEvent, org: Pick<Organization, 'id' | 'slug'>, data: Record<string, unknown>, now: Date): WebhookEnvelope {
  return { id, event, created_at: now.toISOString(), org: { id: org.id, slug: org.slug }, data };
}

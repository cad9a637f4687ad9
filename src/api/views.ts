import type { z } from 'zod';
import type { AuditEvent, DeliveryAttempt, Membership, Organization, Session, User, Webhook, WebhookDelivery } from '../store/store.js';
import type * as A from './schemas.js';

// The JSON shapes the API answers with (snake_case, RFC 3339 times). Each view names its fields explicitly, so
// nothing stored (password hashes, webhook secrets) can leak by being added to an entity later, and each is typed
// by the answer schema the OpenAPI document shows (api/schemas.ts): a view that drifts from it does not compile.

type Json<T extends z.ZodType> = z.output<T>;

function iso(d: Date): string;
function iso(d: Date | null): string | null;
function iso(d: Date | null): string | null {
  return d === null ? null : d.toISOString();
}

export function orgView(org: Organization, myRole?: Membership['role'] | null): Json<typeof A.Organization> {
  return {
    id: org.id, slug: org.slug, name: org.name, status: org.status, created_by: org.createdBy,
    decided_by: org.decidedBy, decided_at: iso(org.decidedAt), created_at: iso(org.createdAt),
    ...(myRole === undefined ? {} : { my_role: myRole }),
  };
}

export function memberView(m: Membership, user: Pick<User, 'email' | 'name'> | null): Json<typeof A.Member> {
  return { user_id: m.userId, email: user?.email ?? null, name: user?.name ?? null, role: m.role, created_at: iso(m.createdAt) };
}

export function userAdminView(u: User): Json<typeof A.User> {
  return {
    id: u.id, email: u.email, name: u.name, roles: [...u.roles], disabled: u.disabled,
    created_at: iso(u.createdAt), last_seen_at: iso(u.lastSeenAt),
  };
}

/** A webhook; the secret only when it was just made (shown once). */
export function webhookView(w: Webhook, secret?: string): Json<typeof A.WebhookChanged> {
  return {
    // Stored events were checked against the same list when the webhook was registered.
    id: w.id, org_id: w.orgId, url: w.url, events: [...w.events] as Json<typeof A.Webhook>['events'], active: w.active, created_at: iso(w.createdAt),
    ...(secret === undefined ? {} : { secret }),
  };
}

export function attemptView(a: DeliveryAttempt): Json<typeof A.Attempt> {
  return {
    attempt: a.attempt, at: iso(a.at), outcome: a.outcome, response_code: a.responseCode, response_body: a.responseBody,
    error: a.error, duration_ms: a.durationMs,
  };
}

export function deliveryView(d: WebhookDelivery, attempts: DeliveryAttempt[]): Json<typeof A.Delivery> {
  return {
    id: d.id, webhook_id: d.webhookId, event: d.event, status: d.status, attempts: d.attempt,
    response_code: d.responseCode, response_body: d.responseBody,
    next_attempt_at: d.status === 'pending' ? iso(d.nextAttemptAt) : null, created_at: iso(d.createdAt),
    updated_at: iso(d.updatedAt), payload: d.payload, attempt_log: attempts.map(attemptView),
  };
}

export function auditView(e: AuditEvent): Json<typeof A.AuditEvent> {
  return {
    id: e.id, at: iso(e.at), actor: e.actor, org: e.org, action: e.action, target: e.target, client_ip: e.clientIp,
    user_agent: e.userAgent, data: e.data,
  };
}

export function sessionView(s: Session, currentId: string | undefined, now: number): Json<typeof A.Session> {
  return {
    id: s.id, current: s.id === currentId,
    active: s.revokedAt === null && s.expiresAt.getTime() > now && s.idleExpiresAt.getTime() > now,
    created_at: iso(s.createdAt), last_seen_at: iso(s.lastSeenAt), expires_at: iso(s.expiresAt),
    idle_expires_at: iso(s.idleExpiresAt), revoked_at: iso(s.revokedAt), user_agent: s.userAgent, client_ip: s.clientIp,
  };
}

/** A page as the API answers it. */
export function pageView<T, V>(page: { items: T[]; nextCursor: string | null }, view: (item: T) => V) {
  return { items: page.items.map(view), next_cursor: page.nextCursor };
}

import type {
  AuditEvent, DeliveryAttempt, ExternalIdentity, Membership, MemberRole, Organization, OrgStatus, Session, User, Webhook,
  WebhookDelivery, DeliveryStatus,
} from '../store.js';
import type { SqlRow, SqlValue } from './queryable.js';

// Drivers hand back numbers for BIGINT epoch ms (PostgreSQL via a per-pool INT8 parser, MySQL with
// supportBigNumbers, SQLite natively), 0/1 or true/false for booleans, and TEXT for JSON. These helpers turn
// a row into the entity the same way for all three.

/** A Date as stored: epoch milliseconds. */
export function ms(d: Date): number {
  const t = d.getTime();
  if (!Number.isFinite(t)) throw new TypeError('invalid Date');
  return t;
}

/** A nullable Date as stored. */
export function msOrNull(d: Date | null | undefined): number | null {
  return d === null || d === undefined ? null : ms(d);
}

/** A stored epoch-ms value back as a Date. */
export function toDate(v: unknown): Date {
  return new Date(Number(v));
}

/** A nullable stored epoch-ms value back as a Date. */
export function toDateOrNull(v: unknown): Date | null {
  return v === null || v === undefined ? null : new Date(Number(v));
}

function str(v: unknown): string {
  return String(v);
}

/** A nullable column as a string. */
export function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

/** true for 1, '1', true. */
export function toBool(v: unknown): boolean {
  return v === true || v === 1 || v === '1';
}

/** A JSON value as stored; `undefined` becomes SQL NULL. */
export function jsonOrNull(v: unknown): SqlValue {
  return v === undefined ? null : JSON.stringify(v);
}

/** A JSON column back as a value (null stays null). */
export function parseJson(v: unknown): unknown {
  return v === null || v === undefined ? null : JSON.parse(String(v)) as unknown;
}

function parseStringArray(v: unknown): string[] {
  const parsed = parseJson(v);
  return Array.isArray(parsed) ? parsed.map(String) : [];
}

export function rowToUser(r: SqlRow): User {
  return {
    id: str(r.id), email: str(r.email), name: strOrNull(r.name), passwordHash: strOrNull(r.password_hash),
    roles: parseStringArray(r.roles), disabled: toBool(r.disabled), createdAt: toDate(r.created_at),
    lastSeenAt: toDateOrNull(r.last_seen_at), emailVerifiedAt: toDateOrNull(r.email_verified_at),
  };
}

export function rowToIdentity(r: SqlRow): ExternalIdentity {
  return {
    provider: str(r.provider), subject: str(r.subject), userId: str(r.user_id), email: strOrNull(r.email),
    createdAt: toDate(r.created_at),
  };
}

export function rowToSession(r: SqlRow): Session {
  return {
    id: str(r.id), userId: str(r.user_id), createdAt: toDate(r.created_at), expiresAt: toDate(r.expires_at),
    idleExpiresAt: toDate(r.idle_expires_at), lastSeenAt: toDate(r.last_seen_at), revokedAt: toDateOrNull(r.revoked_at),
    userAgent: strOrNull(r.user_agent), clientIp: strOrNull(r.client_ip), amr: parseStringArray(r.amr),
  };
}

export function rowToOrg(r: SqlRow): Organization {
  return {
    id: str(r.id), slug: str(r.slug), name: str(r.name), status: str(r.status) as OrgStatus,
    createdBy: strOrNull(r.created_by), decidedBy: strOrNull(r.decided_by), decidedAt: toDateOrNull(r.decided_at),
    createdAt: toDate(r.created_at),
  };
}

export function rowToMembership(r: SqlRow): Membership {
  return { orgId: str(r.org_id), userId: str(r.user_id), role: str(r.role) as MemberRole, createdAt: toDate(r.created_at) };
}

export function rowToWebhook(r: SqlRow): Webhook {
  return {
    id: str(r.id), orgId: str(r.org_id), url: str(r.url), secret: str(r.secret), events: parseStringArray(r.events),
    active: toBool(r.active), createdAt: toDate(r.created_at),
  };
}

export function rowToDelivery(r: SqlRow): WebhookDelivery {
  return {
    id: str(r.id), webhookId: str(r.webhook_id), event: str(r.event), payload: parseJson(r.payload),
    attempt: Number(r.attempt), status: str(r.status) as DeliveryStatus,
    responseCode: r.response_code === null || r.response_code === undefined ? null : Number(r.response_code),
    responseBody: strOrNull(r.response_body), nextAttemptAt: toDate(r.next_attempt_at),
    claimedBy: strOrNull(r.claimed_by), claimedUntil: toDateOrNull(r.claimed_until),
    createdAt: toDate(r.created_at), updatedAt: toDate(r.updated_at),
  };
}

export function rowToAttempt(r: SqlRow): DeliveryAttempt {
  return {
    id: str(r.id), deliveryId: str(r.delivery_id), attempt: Number(r.attempt), at: toDate(r.at), outcome: str(r.outcome),
    responseCode: r.response_code === null || r.response_code === undefined ? null : Number(r.response_code),
    responseBody: strOrNull(r.response_body), error: strOrNull(r.error), durationMs: Number(r.duration_ms),
  };
}

export function rowToAudit(r: SqlRow): AuditEvent {
  return {
    id: str(r.id), at: toDate(r.at), actor: strOrNull(r.actor), org: strOrNull(r.org), action: str(r.action),
    target: strOrNull(r.target), clientIp: strOrNull(r.client_ip), userAgent: strOrNull(r.user_agent),
    data: parseJson(r.data),
  };
}

/** `?, ?, ?` for an IN list of n values. */
export function placeholders(n: number): string {
  return new Array<string>(n).fill('?').join(', ');
}

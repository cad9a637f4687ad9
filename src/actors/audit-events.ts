import type { DomainEventBus } from '../events/domain-events.js';
import type { AuditRecorder } from './audit-writer.js';

/**
 * The audit trail's subscription to the domain events: each login, logout and membership change becomes one audit
 * event, with who did it and from where. (What nothing but the audit trail cares about, such as a failed login or
 * an edited webhook, is recorded by its owner directly.)
 */
export function auditDomainEvents(events: DomainEventBus, audit: AuditRecorder): void {
  events.on('user.login', (e) => audit.record({
    actor: e.userId, org: null, action: 'user.login', target: e.userId, clientIp: e.origin.clientIp, userAgent: e.origin.userAgent,
    data: { result: 'success', method: e.method, provider: e.provider },
  }));
  events.on('user.logout', (e) => audit.record({
    actor: e.userId, org: null, action: 'user.logout', target: e.userId, clientIp: e.origin.clientIp, userAgent: e.origin.userAgent,
    data: { session: e.sessionId.slice(0, 12) },
  }));
  events.on('membership.changed', (e) => audit.record({
    actor: e.origin.actor, org: e.orgId, action: e.action, target: e.target, clientIp: e.origin.clientIp, userAgent: e.origin.userAgent,
    data: e.data,
  }));
}

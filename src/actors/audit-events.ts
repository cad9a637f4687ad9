import type { DomainEventBus } from '../events/domain-events.js';
import type { AuditRecorder } from './audit-writer.js';

/**
 * The audit trail's subscription to the domain events: each login (and refused login), logout, membership change,
 * account change and administrator's change becomes one audit event, with who did it and from where. (What nothing
 * but the audit trail cares about, such as an edited webhook, is recorded by its owner directly.)
 */
export function auditDomainEvents(events: DomainEventBus, audit: AuditRecorder): void {
  events.on('user.login', (e) => audit.record({
    actor: e.userId, org: null, action: 'user.login', target: e.userId, clientIp: e.origin.clientIp, userAgent: e.origin.userAgent,
    data: { result: 'success', method: e.method, provider: e.provider, amr: e.amr },
  }));
  events.on('user.login_failed', (e) => audit.record({
    actor: e.userId, org: null, action: 'user.login', target: e.target, clientIp: e.origin.clientIp, userAgent: e.origin.userAgent,
    data: { result: 'failure', reason: e.reason, method: e.method, ...(e.provider === undefined ? {} : { provider: e.provider }) },
  }));
  events.on('user.login_throttled', (e) => audit.record({
    actor: null, org: null, action: 'login.throttled', target: e.target, clientIp: e.origin.clientIp, userAgent: e.origin.userAgent,
    data: { scope: e.scope, known_device: e.knownDevice },
  }));
  events.on('account.administered', (e) => audit.record({
    actor: e.origin.actor, org: null, action: e.action, target: e.userId, clientIp: e.origin.clientIp, userAgent: e.origin.userAgent,
    data: e.data,
  }));
  events.on('account.changed', (e) => audit.record({
    actor: e.origin.actor, org: null, action: e.action, target: e.userId, clientIp: e.origin.clientIp, userAgent: e.origin.userAgent,
    data: e.data,
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

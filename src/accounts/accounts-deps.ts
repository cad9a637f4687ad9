import type { IncomingHttpHeaders } from 'node:http';
import type { AuthDeps } from '../auth/auth-deps.js';
import type { AccountAction } from '../events/domain-events.js';
import type { DeferredTasks } from '../actors/deferred-tasks.js';
import type { MailOutbox } from '../mail/mail-outbox.js';
import type { PageRenderer } from '../pages/page-renderer.js';
import type { SecretBox } from './secret-box.js';

/** What the account flows share (built once by install-accounts), on top of what the login endpoints have. */
export interface AccountsDeps extends AuthDeps {
  readonly pages: PageRenderer;
  readonly mail: MailOutbox;
  readonly box: SecretBox;
  readonly deferred: DeferredTasks;
}

/** Whether new accounts get a verification link: `auth.local.require_verified_email`, by default on when registration is open. */
export function verificationRequired(deps: Pick<AuthDeps, 'config'>): boolean {
  const local = deps.config.auth.local;
  return local.require_verified_email ?? local.registration === 'open';
}

/** An absolute link to a Gatehouse path on the public URL (for mail). */
export function publicLink(deps: Pick<AuthDeps, 'config'>, path: string, query: Record<string, string> = {}): string {
  const url = new URL(path, deps.config.server.public_url);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url.href;
}

/**
 * Publishes a committed change to an account on the domain event bus (the audit trail subscribes; so may others:
 * webhooks, a security notifier).
 */
export function publishAccountChange(deps: Pick<AuthDeps, 'events'>, action: AccountAction, userId: string,
  req: { headers: IncomingHttpHeaders }, ctx: { clientIp: string }, data: Record<string, unknown> | null): void {
  deps.events.publish('account.changed', {
    action, userId, data, origin: { actor: userId, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null },
  });
}

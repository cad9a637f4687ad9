import { ConflictError } from '../../errors/index.js';
import type { Store, User } from '../../store/store.js';
import type { AuditRecorder } from '../../actors/audit-writer.js';
import type { OAuthProviderConfig } from './config-schema.js';
import { createLinkedUserTx, linkByEmailTx } from '../write-ops.js';
import { mapRoles } from './claims.js';
import { OAuthFailure, type ExternalProfile } from './provider.js';

/** How the account was found, for the audit trail. */
export type LinkOutcome = 'existing' | 'created' | 'linked_by_email';

/**
 * Finds the local user for an external identity, by (provider, subject) only, never by email alone:
 * - a known (provider, subject) is that user, whatever email the provider now reports;
 * - a new subject whose verified email belongs to an existing account is linked to it only when the provider has
 *   `link_by_verified_email: true` (otherwise 409: whoever controls that address at the provider would take over the
 *   local account, the pre-account-takeover class);
 * - otherwise a new user without a password is created and linked, in one transaction.
 * Role mapping is applied on every login. A disabled user is refused.
 */
export async function findOrCreateUser(
  store: Store, audit: AuditRecorder, config: OAuthProviderConfig, profile: ExternalProfile, email: string,
  context: { clientIp: string; userAgent: string | null },
): Promise<{ user: User; outcome: LinkOutcome }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const found = await resolve(store, config, profile, email);
      if (found.user.disabled) throw new OAuthFailure('disabled', `user ${found.user.id} is disabled`);
      const roles = mapRoles(found.user.roles, profile.claims, config.role_mapping);
      const user = sameRoles(roles, found.user.roles) ? found.user : await store.users.update(found.user.id, { roles });
      if (!sameRoles(roles, found.user.roles)) {
        audit.record({ actor: null, org: null, action: 'user.roles_mapped', target: user.id, clientIp: context.clientIp, userAgent: context.userAgent, data: { provider: config.id, roles } });
      }
      if (found.outcome !== 'existing') {
        audit.record({ actor: user.id, org: null, action: found.outcome === 'created' ? 'user.registered' : 'oauth.linked', target: user.id, clientIp: context.clientIp, userAgent: context.userAgent, data: { method: 'oauth', provider: config.id, subject: profile.subject } });
      }
      return { user, outcome: found.outcome };
    } catch (err) {
      // Two callbacks for the same new subject raced: the loser finds the winner's link on its second pass.
      if (err instanceof ConflictError && err.field === 'identity' && attempt === 0) continue;
      throw err;
    }
  }
}

async function resolve(store: Store, config: OAuthProviderConfig, profile: ExternalProfile, email: string): Promise<{ user: User; outcome: LinkOutcome }> {
  const link = await store.identities.find(config.id, profile.subject);
  if (link !== null) {
    const user = await store.users.get(link.userId);
    if (user !== null) return { user, outcome: 'existing' };
  }
  const byEmail = await store.users.getByEmail(email);
  if (byEmail !== null) {
    if (!config.link_by_verified_email || !profile.emailVerified) {
      throw new OAuthFailure('account_conflict', `email ${email} belongs to user ${byEmail.id}; link_by_verified_email is off`);
    }
    // Pre-account takeover: the link ends the account's sessions and drops its password (write-ops.ts says why).
    const linked = await store.perform(linkByEmailTx, { provider: config.id, subject: profile.subject, email, user: byEmail });
    return { user: linked, outcome: 'linked_by_email' };
  }
  try {
    const user = await store.perform(createLinkedUserTx, {
      user: {
        email, name: profile.name, passwordHash: null, roles: mapRoles([], profile.claims, config.role_mapping),
        emailVerifiedAt: profile.emailVerified ? new Date() : null,
      },
      provider: config.id, subject: profile.subject,
    });
    return { user, outcome: 'created' };
  } catch (err) {
    // The email was taken between the lookup and the insert (or by another subject's parallel login).
    if (err instanceof ConflictError && err.field === 'email') throw new OAuthFailure('account_conflict', `email ${email} was taken concurrently`);
    throw err;
  }
}

function sameRoles(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((r) => b.includes(r));
}

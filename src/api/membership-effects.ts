import type { Organization } from '../store/store.js';
import type { ApiDeps } from './context.js';

/**
 * Makes a membership or organization change bite at once on this replica: the affected users' cached sessions are
 * dropped, so their next request reloads memberships (and X-Auth-Orgs). Other replicas catch up within the session
 * cache TTL.
 */
export function evictUsers(deps: ApiDeps, userIds: Iterable<string>): void {
  for (const id of userIds) deps.auth.sessions.evictUser(id);
}

/** Every member of an organization (for evicting them all after a status change), bounded by paging. */
export async function memberIds(deps: ApiDeps, org: Organization): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await deps.store.memberships.listForOrg(org.id, { cursor, limit: 500 });
    ids.push(...page.items.map((m) => m.userId));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return ids;
}

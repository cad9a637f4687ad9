import type { Organization, StoreRepos } from '../store/store.js';

/** Every member of an organization (for evicting them all after a status change), bounded by paging. */
export async function memberIds(repos: Pick<StoreRepos, 'memberships'>, org: Organization): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await repos.memberships.listForOrg(org.id, { cursor, limit: 500 });
    ids.push(...page.items.map((m) => m.userId));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return ids;
}

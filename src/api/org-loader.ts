import type { OrgLoader } from '../sessions/session-service.js';
import type { Store } from '../store/store.js';

/** Most memberships a session carries into X-Auth-Orgs (bounds the header and the load). */
const MAX_ORGS = 200;

/**
 * The session service's org loader: a user's memberships of *approved* organizations as `{slug, role}`. Pending,
 * rejected and suspended organizations grant nothing, so they are left out here, where every route policy and the
 * X-Auth-Orgs header get their view of the user.
 */
export function orgLoader(store: Pick<Store, 'memberships' | 'orgs'>): OrgLoader {
  return async (userId) => {
    const out: { slug: string; role: string }[] = [];
    let cursor: string | null = null;
    do {
      const page = await store.memberships.listForUser(userId, { cursor, limit: MAX_ORGS });
      const orgs = await Promise.all(page.items.map((m) => store.orgs.get(m.orgId)));
      page.items.forEach((m, i) => {
        const org = orgs[i];
        if (org && org.status === 'approved' && out.length < MAX_ORGS) out.push({ slug: org.slug, role: m.role });
      });
      cursor = out.length < MAX_ORGS ? page.nextCursor : null;
    } while (cursor !== null);
    return out.sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
  };
}

import type { OrgLoader } from './session-service.js';
import type { Store } from '../store/store.js';

/** Most memberships a session carries into X-Auth-Orgs (bounds the header and the load). */
const MAX_ORGS = 200;

/**
 * The session service's org loader: a user's memberships of *approved* organizations as `{slug, role}`, in one
 * query. Pending, rejected and suspended organizations grant nothing, so they are left out here, where every route
 * policy and the X-Auth-Orgs header get their view of the user.
 */
export function orgLoader(store: Pick<Store, 'memberships'>): OrgLoader {
  return (userId) => store.memberships.listApprovedForUser(userId, MAX_ORGS);
}

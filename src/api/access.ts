import type { Membership, MemberRole, Organization } from '../store/store.js';
import type { ApiCall } from './context.js';
import { ApiNotFoundError, forbidden } from './errors.js';
import { ID } from './schemas.js';

/**
 * Who may do what to an organization (issue 6). Visibility first: a caller who is neither a member nor a platform
 * owner gets 404 for everything under /orgs/<id>, exactly as for an id that does not exist, so ids cannot be
 * probed (OWASP ASVS 4.2.1, IDOR). Only then are actions judged, with 403.
 *
 * | action                          | platform owner | org owner | org admin | org member |
 * | ------------------------------- | -------------- | --------- | --------- | ---------- |
 * | read the org                    | yes            | yes       | yes       | yes        |
 * | read members                    | yes            | approved  | approved  | approved   |
 * | manage members and webhooks     | no             | approved  | approved  | no         |
 * | read the org's audit trail      | yes            | approved  | approved  | no         |
 * | approve / reject / suspend      | yes            | no        | no        | no         |
 *
 * "approved": only while the organization is approved; pending, rejected and suspended ones grant nothing but
 * the right of their members to see the organization (and so its status).
 */
export interface OrgAccess {
  readonly org: Organization;
  readonly membership: Membership | null;
}

export type OrgAction = 'read' | 'read_members' | 'manage' | 'read_audit' | 'decide';

/** Loads the organization in the path parameter `org` and judges `action`: 404 when invisible, 403 when not allowed. */
export async function orgFor(call: ApiCall, action: OrgAction, param = 'org'): Promise<OrgAccess> {
  const id = call.params[param] ?? '';
  const { store } = call.deps;
  const org = ID.test(id) ? await store.orgs.get(id) : null;
  if (!org) throw new ApiNotFoundError('organization');
  const membership = await store.memberships.get(org.id, call.caller.user.id);
  const po = call.caller.platformOwner;
  if (!membership && !po) throw new ApiNotFoundError('organization');
  if (!allowed(action, org, membership, po)) {
    throw forbidden(membership && org.status !== 'approved' && action !== 'decide'
      ? `the organization is ${org.status}; only approved organizations can be used`
      : 'your role in this organization does not allow this');
  }
  return { org, membership };
}

function allowed(action: OrgAction, org: Organization, m: Membership | null, po: boolean): boolean {
  const approved = org.status === 'approved';
  const manager = m !== null && (m.role === 'owner' || m.role === 'admin');
  switch (action) {
    case 'read': return po || m !== null;
    case 'read_members': return po || (m !== null && approved);
    case 'manage': return manager && approved;
    case 'read_audit': return po || (manager && approved);
    case 'decide': return po;
  }
}

/** Whether `role` is one of the org roles. */
export function isMemberRole(role: string): role is MemberRole {
  return role === 'owner' || role === 'admin' || role === 'member';
}

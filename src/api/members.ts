import { ConflictError } from '../errors/index.js';
import type { z } from 'zod';
import type { Membership, Organization, User } from '../store/store.js';
import { orgFor } from './access.js';
import { endpoint, type ApiCall, type ApiEndpoint, type ApiResult } from './context.js';
import { ApiNotFoundError, StateConflictError, forbidden } from './errors.js';
import { commitChange } from './commit-change.js';
import { addMemberTx, changeMemberRoleTx, removeMemberTx } from './write-ops.js';
import { AddMemberBody, ChangeRoleBody, ID, Member, MemberPage, PageQuery } from './schemas.js';
import { memberView } from './views.js';

const PARAMS = { org: 'Organization id.', user: 'User id of the member.' };

/** GET|POST /orgs/:org/members, PATCH|DELETE /orgs/:org/members/:user. */
export function memberEndpoints(): ApiEndpoint[] {
  return [
    endpoint({
      method: 'GET', pattern: '/orgs/:org/members', auth: 'signed_in', operationId: 'listMembers', params: PARAMS,
      summary: 'Members (any member of an approved org; platform owners).', query: PageQuery,
      responses: { 200: { description: 'A page', schema: MemberPage } }, errors: [403, 404], run: listMembers,
    }),
    endpoint({
      method: 'POST', pattern: '/orgs/:org/members', auth: 'signed_in', operationId: 'addMember', params: PARAMS,
      summary: 'Add a member (owner or admin; only owners add owners).', body: AddMemberBody,
      responses: { 201: { description: 'Added', schema: Member } }, errors: [403, 404, 409], run: addMember,
    }),
    endpoint({
      method: 'PATCH', pattern: '/orgs/:org/members/:user', auth: 'signed_in', operationId: 'changeMemberRole', params: PARAMS,
      summary: 'Change a role (owner or admin; only owners touch owners; the last owner stays).', body: ChangeRoleBody,
      responses: { 200: { description: 'Changed', schema: Member } }, errors: [403, 404, 409], run: changeRole,
    }),
    endpoint({
      method: 'DELETE', pattern: '/orgs/:org/members/:user', auth: 'signed_in', operationId: 'removeMember', params: PARAMS,
      summary: 'Remove a member (owner or admin), or leave (yourself). The last owner cannot leave.',
      responses: { 204: { description: 'Removed' } }, errors: [403, 404, 409], run: removeMember,
    }),
  ];
}

async function listMembers(call: ApiCall<z.output<typeof PageQuery>>): Promise<ApiResult> {
  const { org } = await orgFor(call, 'read_members');
  const page = await call.deps.store.memberships.listForOrg(org.id, call.query);
  const users = await Promise.all(page.items.map((m) => call.deps.store.users.get(m.userId)));
  return { status: 200, body: { items: page.items.map((m, i) => memberView(m, users[i] ?? null)), next_cursor: page.nextCursor } };
}

/** Owners and admins add members; only an owner may add an owner. The user is named by `user_id` or `email`. */
async function addMember(call: ApiCall<unknown, z.output<typeof AddMemberBody>>): Promise<ApiResult> {
  const { org, membership } = await orgFor(call, 'manage');
  const { role, user_id: userId, email } = await call.body();
  if (role === 'owner' && membership!.role !== 'owner') throw forbidden('only an owner may add an owner');
  const { store } = call.deps;
  const user = userId !== undefined ? (ID.test(userId) ? await store.users.get(userId) : null) : await store.users.getByEmail(email!);
  if (!user) throw new ApiNotFoundError('user', userId !== undefined ? 'user_id' : 'email');
  let added: Membership;
  try {
    added = await commitChange(call, addMemberTx, { org, user: { id: user.id, email: user.email }, role });
  } catch (err) {
    if (err instanceof ConflictError) throw new StateConflictError('the user is already a member', userId !== undefined ? 'user_id' : 'email');
    throw err;
  }
  return { status: 201, body: memberView(added, user) };
}

/** Loads the member named in the path; 404 when not a member of this org. */
async function target(call: ApiCall, org: Organization): Promise<{ member: Membership; user: User | null }> {
  const id = call.params.user ?? '';
  const member = ID.test(id) ? await call.deps.store.memberships.get(org.id, id) : null;
  if (!member) throw new ApiNotFoundError('member');
  return { member, user: await call.deps.store.users.get(id) };
}

async function changeRole(call: ApiCall<unknown, z.output<typeof ChangeRoleBody>>): Promise<ApiResult> {
  const { org, membership } = await orgFor(call, 'manage');
  const { member, user } = await target(call, org);
  const { role } = await call.body();
  if ((member.role === 'owner' || role === 'owner') && membership!.role !== 'owner') {
    throw forbidden('only an owner may make or unmake an owner');
  }
  if (member.role === role) return { status: 200, body: memberView(member, user) };
  // The last owner cannot leave or be demoted: checked inside the transaction (write-ops.ts).
  const updated = await commitChange(call, changeMemberRoleTx, { org, member, email: user?.email ?? null, role });
  return { status: 200, body: memberView(updated, user) };
}

/** Owners and admins remove members (only an owner removes an owner); any member may leave. */
async function removeMember(call: ApiCall): Promise<ApiResult> {
  const self = call.params.user === call.caller.user.id;
  // Leaving needs only membership (of an org in any status); removing someone else needs the manage right.
  const { org, membership } = await orgFor(call, self ? 'read' : 'manage');
  if (self && !membership) throw new ApiNotFoundError('member');
  const { member, user } = await target(call, org);
  await call.body();
  if (!self && member.role === 'owner' && membership!.role !== 'owner') throw forbidden('only an owner may remove an owner');
  await commitChange(call, removeMemberTx, { org, member, email: user?.email ?? null, self });
  return { status: 204 };
}

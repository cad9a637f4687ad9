import { ConflictError } from '../errors/index.js';
import type { MemberRole, Membership, Organization, User } from '../store/store.js';
import { orgFor } from './access.js';
import type { ApiCall, ApiEndpoint, ApiResult } from './context.js';
import { ApiNotFoundError, ApiValidationError, StateConflictError, forbidden } from './errors.js';
import { commitChange } from './commit-change.js';
import { addMemberTx, changeMemberRoleTx, removeMemberTx } from './write-ops.js';
import { ID, pageQuery, strictQuery, stringField } from './validate.js';
import { memberView } from './views.js';

const ROLES: readonly MemberRole[] = ['owner', 'admin', 'member'];

/** GET|POST /orgs/:org/members, PATCH|DELETE /orgs/:org/members/:user. */
export function memberEndpoints(): ApiEndpoint[] {
  return [
    { method: 'GET', pattern: '/orgs/:org/members', auth: 'signed_in', run: listMembers },
    { method: 'POST', pattern: '/orgs/:org/members', auth: 'signed_in', run: addMember },
    { method: 'PATCH', pattern: '/orgs/:org/members/:user', auth: 'signed_in', run: changeRole },
    { method: 'DELETE', pattern: '/orgs/:org/members/:user', auth: 'signed_in', run: removeMember },
  ];
}

async function listMembers(call: ApiCall): Promise<ApiResult> {
  strictQuery(call.query, ['limit', 'cursor']);
  const { org } = await orgFor(call, 'read_members');
  const page = await call.deps.store.memberships.listForOrg(org.id, pageQuery(call.query));
  const users = await Promise.all(page.items.map((m) => call.deps.store.users.get(m.userId)));
  return { status: 200, body: { items: page.items.map((m, i) => memberView(m, users[i] ?? null)), next_cursor: page.nextCursor } };
}

/** Owners and admins add members; only an owner may add an owner. The user is named by `user_id` or `email`. */
async function addMember(call: ApiCall): Promise<ApiResult> {
  strictQuery(call.query, []);
  const { org, membership } = await orgFor(call, 'manage');
  const body = await call.body(['user_id', 'email', 'role']);
  const role = stringField(body, 'role', { required: true, oneOf: ROLES }) as MemberRole;
  const userId = stringField(body, 'user_id', { max: 128 });
  const email = stringField(body, 'email', { max: 320 });
  if ((userId === undefined) === (email === undefined)) throw new ApiValidationError(userId === undefined ? 'user_id' : 'email', 'give exactly one of user_id and email');
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

async function changeRole(call: ApiCall): Promise<ApiResult> {
  strictQuery(call.query, []);
  const { org, membership } = await orgFor(call, 'manage');
  const { member, user } = await target(call, org);
  const body = await call.body(['role']);
  const role = stringField(body, 'role', { required: true, oneOf: ROLES }) as MemberRole;
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
  strictQuery(call.query, []);
  const self = call.params.user === call.caller.user.id;
  // Leaving needs only membership (of an org in any status); removing someone else needs the manage right.
  const { org, membership } = await orgFor(call, self ? 'read' : 'manage');
  if (self && !membership) throw new ApiNotFoundError('member');
  const { member, user } = await target(call, org);
  await call.body([]);
  if (!self && member.role === 'owner' && membership!.role !== 'owner') throw forbidden('only an owner may remove an owner');
  await commitChange(call, removeMemberTx, { org, member, email: user?.email ?? null, self });
  return { status: 204 };
}

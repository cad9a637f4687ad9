import { ConflictError } from '../errors/index.js';
import type { z } from 'zod';
import { randomBytes } from 'node:crypto';
import { accountTokenId } from '../accounts/account-token.js';
import { canonicalEmail } from '../store/canonical-email.js';
import type { MemberRole, Membership, Organization, User } from '../store/store.js';
import { orgFor } from './access.js';
import { endpoint, type ApiCall, type ApiEndpoint, type ApiResult } from './context.js';
import { ApiNotFoundError, StateConflictError, forbidden } from './errors.js';
import { commitChange } from './commit-change.js';
import { acceptInvitationTx, addMemberTx, changeMemberRoleTx, inviteTx, removeMemberTx } from './write-ops.js';
import { AcceptInvitationBody, AddMemberBody, ChangeRoleBody, ID, Invitation, Member, MemberPage, PageQuery } from './schemas.js';
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
      summary: 'Add a member (owner or admin; only owners add owners): by user_id at once (201), by email as an invitation (202, the same whether or not the address has an account).',
      body: AddMemberBody,
      responses: { 201: { description: 'Added', schema: Member }, 202: { description: 'Invited', schema: Invitation } }, errors: [403, 404, 409], run: addMember,
    }),
    endpoint({
      method: 'POST', pattern: '/invitations/accept', auth: 'signed_in', operationId: 'acceptInvitation',
      summary: 'Join an organization with the code of an invitation sent to your (confirmed) address.', body: AcceptInvitationBody,
      responses: { 201: { description: 'Joined', schema: Member } }, errors: [403, 404, 409], run: acceptInvitation,
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

/**
 * Owners and admins add members; only an owner may add an owner. By `user_id` the member is added at once; by
 * `email` an invitation is mailed instead, and the answer is the same whether or not the address has an account, so
 * an org admin cannot use this to learn who has one (issue 12). The person joins by accepting it (acceptInvitation).
 */
async function addMember(call: ApiCall<unknown, z.output<typeof AddMemberBody>>): Promise<ApiResult> {
  const { org, membership } = await orgFor(call, 'manage');
  const { role, user_id: userId, email } = await call.body();
  if (role === 'owner' && membership!.role !== 'owner') throw forbidden('only an owner may add an owner');
  const { store } = call.deps;
  if (email !== undefined) return invite(call, org, email.trim(), role);
  const user = ID.test(userId!) ? await store.users.get(userId!) : null;
  if (!user) throw new ApiNotFoundError('user', 'user_id');
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

/** How long an invitation can be accepted. */
const INVITATION_TTL_MS = 7 * 24 * 3_600_000;

/** Mails an invitation to an address (account or not): the same work and the same 202 either way. */
async function invite(call: ApiCall, org: Organization, email: string, role: MemberRole): Promise<ApiResult> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + INVITATION_TTL_MS);
  const link = new URL('/.gatehouse/api/v1/invitations/accept', call.deps.config.server.public_url);
  await call.deps.store.perform(inviteTx, {
    token: {
      id: accountTokenId(token), purpose: 'org_invitation', userId: null, email: canonicalEmail(email),
      data: { org_id: org.id, role, invited_by: call.caller.user.id }, expiresAt,
    },
    mail: call.deps.mail.seal({
      template: 'org-invitation', to: email,
      vars: { email, org_name: org.name, org_slug: org.slug, role, inviter: call.caller.user.name || call.caller.user.email, token, link: link.href, expires_in: '7 days' },
    }),
  });
  call.deps.mail.kick();
  call.audit('member.invited', { org: org.id, target: null, data: { role } });
  return { status: 202, body: { status: 'invited', email, role, expires_at: expiresAt.toISOString(), token } };
}

/**
 * POST /invitations/accept {token}: the signed-in caller joins the organization an invitation names, if it was sent
 * to the caller's address (canonical form) and that address is confirmed (otherwise anyone could register someone
 * else's address and take their invitation). The invitation is used up in the membership's own transaction.
 */
async function acceptInvitation(call: ApiCall<unknown, z.output<typeof AcceptInvitationBody>>): Promise<ApiResult> {
  const { token } = await call.body();
  const { store } = call.deps;
  const id = accountTokenId(token);
  const invitation = await store.accountTokens.get(id);
  if (invitation === null || invitation.purpose !== 'org_invitation' || invitation.usedAt !== null || invitation.expiresAt.getTime() <= Date.now()) {
    throw new ApiNotFoundError('invitation', 'token');
  }
  const user = call.caller.user;
  if (invitation.email !== canonicalEmail(user.email)) throw forbidden('this invitation was sent to another address');
  if (user.emailVerifiedAt === null) throw forbidden('confirm your email address first, then accept the invitation');
  const { org_id: orgId, role } = invitation.data as { org_id: string; role: MemberRole };
  const org = await store.orgs.get(orgId);
  if (org === null) throw new ApiNotFoundError('invitation', 'token');
  let added: Membership;
  try {
    added = await commitChange(call, acceptInvitationTx, { tokenId: id, org, user: { id: user.id, email: user.email }, role });
  } catch (err) {
    if (err instanceof ConflictError) throw new StateConflictError('you are already a member', 'token');
    throw err;
  }
  return { status: 201, body: memberView(added, user) };
}

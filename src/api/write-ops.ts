/**
 * The SSO API's write transactions, each a named operation (store/transaction-op.ts) that the store runs whole
 * where the data is: on SQLite one message to the writer thread, which holds the write lock only while the body runs
 * (issue 13, section 4). Bodies take plain data (what the endpoint already loaded and checked) and touch nothing but
 * the repositories; the endpoints (orgs.ts, members.ts, webhooks.ts, login-webhooks.ts) validate, authorize, call
 * these and answer. The SQLite writer imports this module by URL, so it must stay free of side effects at import.
 */
import type { MemberRole, Membership, NewAccountToken, NewOutboxMail, Organization, OrgStatus, Webhook } from '../store/store.js';
import { transactionOp } from '../store/transaction-op.js';
import { changeOp } from './commit-change.js';
import { ApiNotFoundError, StateConflictError } from './errors.js';
import { enqueueEvent, type WebhookEvent } from './events.js';
import { memberIds } from './membership-effects.js';

const HERE = import.meta.url;

/** POST /orgs: the organization (pending) and its asker as owner, together. */
export const createOrgTx = transactionOp(HERE, 'createOrgTx',
  async (tx, a: { slug: string; name: string; userId: string }): Promise<Organization> => {
    const created = await tx.orgs.create({ slug: a.slug, name: a.name, status: 'pending', createdBy: a.userId });
    await tx.memberships.add({ orgId: created.id, userId: a.userId, role: 'owner' });
    return created;
  });

/** A platform owner's decision; `from` are the statuses it may start from. */
export interface Decision {
  verb: string;
  from: readonly OrgStatus[];
  to: OrgStatus;
  event: WebhookEvent & `org.${string}`;
}

/** POST /orgs/:org/approve|reject|suspend: the status change, its webhook deliveries and every member's eviction. */
export const decideOrgTx = changeOp(HERE, 'decideOrgTx',
  async (tx, effects, a: { org: Organization; rule: Decision; actor: string }): Promise<{ next: Organization; previous: OrgStatus }> => {
    // Re-read inside the transaction so two platform owners deciding at once cannot both pass the check.
    const current = await tx.orgs.get(a.org.id);
    if (!current) throw new StateConflictError('the organization no longer exists');
    if (!a.rule.from.includes(current.status)) {
      throw new StateConflictError(`cannot ${a.rule.verb} an organization that is ${current.status}`, 'status');
    }
    const next = await tx.orgs.setStatus(a.org.id, a.rule.to, a.actor);
    await effects.webhook(next, a.rule.event, { status: next.status, previous_status: current.status, decided_by: a.actor });
    // Memberships of this org now count (approved) or stop counting (suspended, rejected): every member's cached
    // session is dropped so X-Auth-Orgs changes on their next request.
    effects.membership({
      action: a.rule.event, orgId: a.org.id, target: a.org.id, userIds: await memberIds(tx, a.org),
      data: { status: next.status, previous_status: current.status },
    });
    return { next, previous: current.status };
  });

/** Fails the transaction when the change left the organization without an owner (the rollback undoes it). */
async function keepAnOwner(tx: Parameters<typeof decideOrgTx.body>[0], orgId: string): Promise<void> {
  if (await tx.memberships.countByRole(orgId, 'owner') === 0) {
    throw new StateConflictError('the last owner cannot leave or be demoted; make another member an owner first', 'role');
  }
}

/** POST /orgs/:org/members. */
export const addMemberTx = changeOp(HERE, 'addMemberTx',
  async (tx, effects, a: { org: Organization; user: { id: string; email: string }; role: MemberRole }): Promise<Membership> => {
    const m = await tx.memberships.add({ orgId: a.org.id, userId: a.user.id, role: a.role });
    await effects.webhook(a.org, 'member.added', { user: a.user, role: a.role });
    effects.membership({ action: 'member.added', orgId: a.org.id, target: a.user.id, userIds: [a.user.id], data: { role: a.role } });
    return m;
  });

/** POST /orgs/:org/members by email: the invitation's single-use code and its mail (null when mail is off), together. */
export const inviteTx = transactionOp(HERE, 'inviteTx',
  async (tx, a: { token: NewAccountToken; mail: NewOutboxMail | null }): Promise<null> => {
    await tx.accountTokens.create(a.token);
    if (a.mail !== null) await tx.mailOutbox.enqueue([a.mail]);
    return null;
  });

/** POST /invitations/accept: the invitation is used up in the membership's own transaction. */
export const acceptInvitationTx = changeOp(HERE, 'acceptInvitationTx',
  async (tx, effects, a: { tokenId: string; org: Organization; user: { id: string; email: string }; role: MemberRole }): Promise<Membership> => {
    if (await tx.accountTokens.consume(a.tokenId, 'org_invitation') === null) throw new ApiNotFoundError('invitation', 'token');
    const m = await tx.memberships.add({ orgId: a.org.id, userId: a.user.id, role: a.role });
    await effects.webhook(a.org, 'member.added', { user: a.user, role: a.role });
    effects.membership({ action: 'member.added', orgId: a.org.id, target: a.user.id, userIds: [a.user.id], data: { role: a.role, invitation: true } });
    return m;
  });

/** PATCH /orgs/:org/members/:user: owners locked first so two demotions cannot each leave the other as last owner. */
export const changeMemberRoleTx = changeOp(HERE, 'changeMemberRoleTx',
  async (tx, effects, a: { org: Organization; member: Membership; email: string | null; role: MemberRole }): Promise<Membership> => {
    await tx.memberships.lockOwners(a.org.id);
    const m = await tx.memberships.setRole(a.org.id, a.member.userId, a.role);
    await keepAnOwner(tx, a.org.id);
    await effects.webhook(a.org, 'member.role_changed', { user: { id: a.member.userId, email: a.email }, role: a.role, previous_role: a.member.role });
    effects.membership({
      action: 'member.role_changed', orgId: a.org.id, target: a.member.userId, userIds: [a.member.userId],
      data: { role: a.role, previous_role: a.member.role },
    });
    return m;
  });

/** DELETE /orgs/:org/members/:user (someone removed, or leaving). */
export const removeMemberTx = changeOp(HERE, 'removeMemberTx',
  async (tx, effects, a: { org: Organization; member: Membership; email: string | null; self: boolean }): Promise<null> => {
    await tx.memberships.lockOwners(a.org.id);
    await tx.memberships.remove(a.org.id, a.member.userId);
    await keepAnOwner(tx, a.org.id);
    await effects.webhook(a.org, 'member.removed', { user: { id: a.member.userId, email: a.email }, role: a.member.role });
    effects.membership({
      action: a.self ? 'member.left' : 'member.removed', orgId: a.org.id, target: a.member.userId, userIds: [a.member.userId],
      data: { role: a.member.role },
    });
    return null;
  });

/** POST /orgs/:org/webhooks: counted and created together, so the per-org bound holds under concurrency. */
export const createWebhookTx = transactionOp(HERE, 'createWebhookTx',
  async (tx, a: { orgId: string; url: string; secret: string; events: string[]; active: boolean; max: number }): Promise<Webhook> => {
    const existing = await tx.webhooks.listForOrg(a.orgId, { limit: a.max });
    if (existing.items.length >= a.max) throw new StateConflictError(`an organization may have at most ${a.max} webhooks`);
    return tx.webhooks.create({ orgId: a.orgId, url: a.url, secret: a.secret, events: a.events, active: a.active });
  }, [StateConflictError]);

/** `user.login` deliveries to every approved organization of the user, in one transaction; returns how many. */
export const queueLoginEventsTx = transactionOp(HERE, 'queueLoginEventsTx',
  async (tx, a: { user: { id: string; email: string }; orgs: { org: Organization; role: MemberRole }[]; how: Record<string, unknown> }): Promise<number> => {
    let queued = 0;
    for (const { org, role } of a.orgs) queued += await enqueueEvent(tx, org, 'user.login', { user: a.user, role, ...a.how });
    return queued;
  });

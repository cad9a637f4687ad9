import type { z } from 'zod';
import { ConflictError } from '../errors/index.js';
import type { MemberRole, Organization, OrgStatus } from '../store/store.js';
import { orgFor } from './access.js';
import { endpoint, type ApiCall, type ApiEndpoint, type ApiResult } from './context.js';
import { StateConflictError } from './errors.js';
import { commitChange } from './commit-change.js';
import type { WebhookEvent } from './events.js';
import { createOrgTx, decideOrgTx } from './write-ops.js';
import { CreateOrgBody, Organization as OrganizationAnswer, OrganizationPage, OrgListQuery } from './schemas.js';
import { orgView, pageView } from './views.js';

/** A platform owner's decisions: which statuses each may start from, and what it leads to. */
const DECISIONS = {
  approve: { from: ['pending', 'suspended', 'rejected'], to: 'approved', event: 'org.approved', operationId: 'approveOrg', summary: 'Approve (platform owner; from pending, rejected or suspended).' },
  reject: { from: ['pending'], to: 'rejected', event: 'org.rejected', operationId: 'rejectOrg', summary: 'Reject (platform owner; from pending).' },
  suspend: { from: ['approved'], to: 'suspended', event: 'org.suspended', operationId: 'suspendOrg', summary: 'Suspend (platform owner; from approved).' },
} as const satisfies Record<string, { from: readonly OrgStatus[]; to: OrgStatus; event: WebhookEvent; operationId: string; summary: string }>;

const ORG = { org: 'Organization id.' };

/** POST /orgs, GET /orgs, GET /orgs/:org, POST /orgs/:org/approve|reject|suspend. */
export function orgEndpoints(): ApiEndpoint[] {
  return [
    endpoint({
      method: 'POST', pattern: '/orgs', auth: 'signed_in', operationId: 'createOrg',
      summary: 'Ask for a new organization (pending, with the caller as owner).', body: CreateOrgBody,
      responses: { 201: { description: 'Created', schema: OrganizationAnswer } }, errors: [409], run: createOrg,
    }),
    endpoint({
      method: 'GET', pattern: '/orgs', auth: 'signed_in', operationId: 'listOrgs',
      summary: 'Organizations the caller belongs to (all, for a platform owner).', query: OrgListQuery,
      responses: { 200: { description: 'A page', schema: OrganizationPage } }, run: listOrgs,
    }),
    endpoint({
      method: 'GET', pattern: '/orgs/:org', auth: 'signed_in', operationId: 'getOrg', summary: 'One organization.', params: ORG,
      responses: { 200: { description: 'The organization', schema: OrganizationAnswer } }, errors: [404], run: getOrg,
    }),
    ...(Object.keys(DECISIONS) as (keyof typeof DECISIONS)[]).map((verb) => endpoint({
      method: 'POST', pattern: `/orgs/:org/${verb}`, auth: 'signed_in', operationId: DECISIONS[verb].operationId,
      summary: DECISIONS[verb].summary, params: ORG, responses: { 200: { description: 'Decided', schema: OrganizationAnswer } },
      errors: [403, 404, 409], run: (call) => decide(call, verb),
    })),
  ];
}

/** Any signed-in user asks for an organization: pending, with the asker as its owner (one transaction). */
async function createOrg(call: ApiCall<unknown, z.output<typeof CreateOrgBody>>): Promise<ApiResult> {
  const { slug, name } = await call.body();
  const userId = call.caller.user.id;
  let org: Organization;
  try {
    org = await call.deps.store.perform(createOrgTx, { slug, name, userId });
  } catch (err) {
    if (err instanceof ConflictError) throw new StateConflictError('slug: already taken', 'slug');
    throw err;
  }
  call.audit('org.requested', { org: org.id, target: org.id, data: { slug, name } });
  return { status: 201, body: orgView(org, 'owner'), headers: { location: `/.gatehouse/api/v1/orgs/${org.id}` } };
}

/** Platform owners see every organization; others those they belong to (any status, so they see pending ones). */
async function listOrgs(call: ApiCall<z.output<typeof OrgListQuery>>): Promise<ApiResult> {
  const { status, ...page } = call.query;
  const { store } = call.deps;
  if (call.caller.platformOwner) {
    const orgs = await store.orgs.list({ ...page, ...(status ? { status } : {}) });
    const mine = new Map<string, MemberRole>();
    await Promise.all(orgs.items.map(async (o) => {
      const m = await store.memberships.get(o.id, call.caller.user.id);
      if (m) mine.set(o.id, m.role);
    }));
    return { status: 200, body: pageView(orgs, (o) => orgView(o, mine.get(o.id) ?? null)) };
  }
  const memberships = await store.memberships.listForUser(call.caller.user.id, page);
  const orgs = await Promise.all(memberships.items.map(async (m) => ({ m, org: await store.orgs.get(m.orgId) })));
  const items = orgs.filter((x) => x.org !== null && (status === undefined || x.org.status === status))
    .map((x) => orgView(x.org!, x.m.role));
  return { status: 200, body: { items, next_cursor: memberships.nextCursor } };
}

async function getOrg(call: ApiCall): Promise<ApiResult> {
  const { org, membership } = await orgFor(call, 'read');
  return { status: 200, body: orgView(org, membership?.role ?? null) };
}

/** Approve, reject or suspend; the status change and its webhook deliveries commit together (write-ops.ts). */
async function decide(call: ApiCall, verb: keyof typeof DECISIONS): Promise<ApiResult> {
  const { org } = await orgFor(call, 'decide');
  await call.body();
  const rule = DECISIONS[verb];
  const actor = call.caller.user.id;
  const updated = await commitChange(call, decideOrgTx, { org, rule: { verb, from: rule.from, to: rule.to, event: rule.event }, actor });
  return { status: 200, body: orgView(updated.next) };
}

import { ConflictError } from '../errors/index.js';
import type { Organization, OrgStatus } from '../store/store.js';
import { orgFor } from './access.js';
import type { ApiCall, ApiEndpoint, ApiResult } from './context.js';
import { ApiValidationError, StateConflictError } from './errors.js';
import { commitChange } from './commit-change.js';
import type { WebhookEvent } from './events.js';
import { createOrgTx, decideOrgTx } from './write-ops.js';
import { pageQuery, SLUG, strictQuery, stringField, stringQuery } from './validate.js';
import { orgView, pageView } from './views.js';

const STATUSES: readonly OrgStatus[] = ['pending', 'approved', 'rejected', 'suspended'];

/** A platform owner's decisions: which statuses each may start from, and what it leads to. */
const DECISIONS = {
  approve: { from: ['pending', 'suspended', 'rejected'], to: 'approved', event: 'org.approved' },
  reject: { from: ['pending'], to: 'rejected', event: 'org.rejected' },
  suspend: { from: ['approved'], to: 'suspended', event: 'org.suspended' },
} as const satisfies Record<string, { from: readonly OrgStatus[]; to: OrgStatus; event: WebhookEvent }>;

/** POST /orgs, GET /orgs, GET /orgs/:org, POST /orgs/:org/approve|reject|suspend. */
export function orgEndpoints(): ApiEndpoint[] {
  return [
    { method: 'POST', pattern: '/orgs', auth: 'signed_in', run: createOrg },
    { method: 'GET', pattern: '/orgs', auth: 'signed_in', run: listOrgs },
    { method: 'GET', pattern: '/orgs/:org', auth: 'signed_in', run: getOrg },
    ...(Object.keys(DECISIONS) as (keyof typeof DECISIONS)[]).map((verb): ApiEndpoint => ({
      method: 'POST', pattern: `/orgs/:org/${verb}`, auth: 'signed_in', run: (call) => decide(call, verb),
    })),
  ];
}

/** Any signed-in user asks for an organization: pending, with the asker as its owner (one transaction). */
async function createOrg(call: ApiCall): Promise<ApiResult> {
  strictQuery(call.query, []);
  const body = await call.body(['slug', 'name']);
  const slug = stringField(body, 'slug', { required: true, max: 63, pattern: SLUG, patternHint: 'expected 1-63 lower-case letters, digits or "-", not starting or ending with "-"' });
  const name = stringField(body, 'name', { required: true, min: 1, max: 200 }).trim();
  if (name === '') throw new ApiValidationError('name', 'must not be blank');
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
async function listOrgs(call: ApiCall): Promise<ApiResult> {
  strictQuery(call.query, ['status', 'limit', 'cursor']);
  const page = pageQuery(call.query);
  const status = stringQuery(call.query, 'status', { oneOf: STATUSES }) as OrgStatus | undefined;
  const { store } = call.deps;
  if (call.caller.platformOwner) {
    const orgs = await store.orgs.list({ ...page, ...(status ? { status } : {}) });
    const mine = new Map<string, string>();
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
  strictQuery(call.query, []);
  const { org, membership } = await orgFor(call, 'read');
  return { status: 200, body: orgView(org, membership?.role ?? null) };
}

/** Approve, reject or suspend; the status change and its webhook deliveries commit together (write-ops.ts). */
async function decide(call: ApiCall, verb: keyof typeof DECISIONS): Promise<ApiResult> {
  strictQuery(call.query, []);
  const { org } = await orgFor(call, 'decide');
  await call.body([]);
  const rule = DECISIONS[verb];
  const actor = call.caller.user.id;
  const updated = await commitChange(call, decideOrgTx, { org, rule: { verb, ...rule }, actor });
  return { status: 200, body: orgView(updated.next) };
}

import type { AuditFilter } from '../store/store.js';
import { orgFor } from './access.js';
import type { ApiCall, ApiEndpoint, ApiResult } from './context.js';
import { forbidden } from './errors.js';
import { ID, pageQuery, strictQuery, stringQuery, timeQuery } from './validate.js';
import { auditView, pageView } from './views.js';

/** GET /orgs/:org/audit (owners, admins, platform owners) and GET /audit (platform owners). */
export function auditEndpoints(): ApiEndpoint[] {
  return [
    { method: 'GET', pattern: '/orgs/:org/audit', auth: 'signed_in', run: orgAudit },
    { method: 'GET', pattern: '/audit', auth: 'signed_in', run: platformAudit },
  ];
}

/** The filters both lists take: action, actor, since (inclusive), until (exclusive), and paging. */
function filters(call: ApiCall): AuditFilter {
  const action = stringQuery(call.query, 'action', { max: 128, pattern: /^[a-z0-9_.]+$/, patternHint: 'expected an action name such as member.added' });
  const actor = stringQuery(call.query, 'actor', { max: 255 });
  const since = timeQuery(call.query, 'since');
  const until = timeQuery(call.query, 'until');
  return {
    ...pageQuery(call.query), ...(action === undefined ? {} : { action }), ...(actor === undefined ? {} : { actor }),
    ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }),
  };
}

async function orgAudit(call: ApiCall): Promise<ApiResult> {
  strictQuery(call.query, ['action', 'actor', 'since', 'until', 'limit', 'cursor']);
  const { org } = await orgFor(call, 'read_audit');
  const page = await call.deps.store.audit.list({ ...filters(call), org: org.id });
  return { status: 200, body: pageView(page, auditView) };
}

async function platformAudit(call: ApiCall): Promise<ApiResult> {
  if (!call.caller.platformOwner) throw forbidden('only a platform owner may read the whole audit trail');
  strictQuery(call.query, ['action', 'actor', 'org', 'since', 'until', 'limit', 'cursor']);
  const org = stringQuery(call.query, 'org', { pattern: ID, patternHint: 'expected an organization id' });
  const page = await call.deps.store.audit.list({ ...filters(call), ...(org === undefined ? {} : { org }) });
  return { status: 200, body: pageView(page, auditView) };
}

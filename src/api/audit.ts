import type { AuditFilter } from '../store/store.js';
import { orgFor } from './access.js';
import type { z } from 'zod';
import { endpoint, type ApiCall, type ApiEndpoint, type ApiResult } from './context.js';
import { forbidden } from './errors.js';
import { AuditPage, OrgAuditQuery, PlatformAuditQuery } from './schemas.js';
import { auditView, pageView } from './views.js';

/** GET /orgs/:org/audit (owners, admins, platform owners) and GET /audit (platform owners). */
export function auditEndpoints(): ApiEndpoint[] {
  return [
    endpoint({
      method: 'GET', pattern: '/orgs/:org/audit', auth: 'signed_in', operationId: 'orgAudit', params: { org: 'Organization id.' },
      summary: "The organization's audit trail (owner, admin, platform owner).", query: OrgAuditQuery,
      responses: { 200: { description: 'A page', schema: AuditPage } }, errors: [403, 404], run: orgAudit,
    }),
    endpoint({
      method: 'GET', pattern: '/audit', auth: 'signed_in', operationId: 'platformAudit', summary: 'The whole audit trail (platform owner).',
      query: PlatformAuditQuery, responses: { 200: { description: 'A page', schema: AuditPage } }, errors: [403], run: platformAudit,
    }),
  ];
}

/** The filters both lists take (action, actor, since inclusive, until exclusive, paging), without the unset ones. */
function filters(query: z.output<typeof OrgAuditQuery>): AuditFilter {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)) as AuditFilter;
}

async function orgAudit(call: ApiCall<z.output<typeof OrgAuditQuery>>): Promise<ApiResult> {
  const { org } = await orgFor(call, 'read_audit');
  const page = await call.deps.store.audit.list({ ...filters(call.query), org: org.id });
  return { status: 200, body: pageView(page, auditView) };
}

async function platformAudit(call: ApiCall<z.output<typeof PlatformAuditQuery>>): Promise<ApiResult> {
  if (!call.caller.platformOwner) throw forbidden('only a platform owner may read the whole audit trail');
  const { org, ...rest } = call.query;
  const page = await call.deps.store.audit.list({ ...filters(rest), ...(org === undefined ? {} : { org }) });
  return { status: 200, body: pageView(page, auditView) };
}

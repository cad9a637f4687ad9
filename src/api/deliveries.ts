import { orgFor } from './access.js';
import type { z } from 'zod';
import { endpoint, type ApiCall, type ApiEndpoint, type ApiResult } from './context.js';
import { DeliveryPage, PageQuery } from './schemas.js';
import { deliveryView } from './views.js';
import { webhookOf } from './webhooks.js';

/** GET /orgs/:org/webhooks/:webhook/deliveries: newest first, each with its attempt log. */
export function deliveryEndpoints(): ApiEndpoint[] {
  return [endpoint({
    method: 'GET', pattern: '/orgs/:org/webhooks/:webhook/deliveries', auth: 'signed_in', operationId: 'listDeliveries',
    summary: 'Deliveries, newest first, each with every attempt.', params: { org: 'Organization id.', webhook: 'Webhook id.' },
    query: PageQuery, responses: { 200: { description: 'A page', schema: DeliveryPage } }, errors: [403, 404], run: listDeliveries,
  })];
}

async function listDeliveries(call: ApiCall<z.output<typeof PageQuery>>): Promise<ApiResult> {
  const { org } = await orgFor(call, 'manage');
  const webhook = await webhookOf(call, org);
  const { store } = call.deps;
  const page = await store.deliveries.listForWebhook(webhook.id, call.query);
  // Attempts per delivery are bounded by webhooks.max_attempts (at most 50), so one page of them is all of them.
  const attempts = await Promise.all(page.items.map((d) => store.deliveries.listAttempts(d.id, { limit: 100 })));
  return { status: 200, body: { items: page.items.map((d, i) => deliveryView(d, attempts[i]!.items)), next_cursor: page.nextCursor } };
}

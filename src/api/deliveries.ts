import { orgFor } from './access.js';
import type { ApiCall, ApiEndpoint, ApiResult } from './context.js';
import { pageQuery, strictQuery } from './validate.js';
import { deliveryView } from './views.js';
import { webhookOf } from './webhooks.js';

/** GET /orgs/:org/webhooks/:webhook/deliveries: newest first, each with its attempt log. */
export function deliveryEndpoints(): ApiEndpoint[] {
  return [{ method: 'GET', pattern: '/orgs/:org/webhooks/:webhook/deliveries', auth: 'signed_in', run: listDeliveries }];
}

async function listDeliveries(call: ApiCall): Promise<ApiResult> {
  strictQuery(call.query, ['limit', 'cursor']);
  const { org } = await orgFor(call, 'manage');
  const webhook = await webhookOf(call, org);
  const { store } = call.deps;
  const page = await store.deliveries.listForWebhook(webhook.id, pageQuery(call.query));
  // Attempts per delivery are bounded by webhooks.max_attempts (at most 50), so one page of them is all of them.
  const attempts = await Promise.all(page.items.map((d) => store.deliveries.listAttempts(d.id, { limit: 100 })));
  return { status: 200, body: { items: page.items.map((d, i) => deliveryView(d, attempts[i]!.items)), next_cursor: page.nextCursor } };
}

import { randomBytes, randomUUID } from 'node:crypto';
import type { Organization, Webhook } from '../store/store.js';
import { orgFor } from './access.js';
import type { z } from 'zod';
import { endpoint, type ApiCall, type ApiEndpoint, type ApiResult } from './context.js';
import { ApiNotFoundError } from './errors.js';
import { envelope } from './events.js';
import { checkWebhookUrl } from './webhook-url.js';
import { createWebhookTx } from './write-ops.js';
import { CreateWebhookBody, ID, PageQuery, TestQueued, UpdateWebhookBody, WebhookChanged, WebhookPage, WebhookWithSecret } from './schemas.js';
import { pageView, webhookView } from './views.js';

const ORG = { org: 'Organization id.' };
const PARAMS = { ...ORG, webhook: 'Webhook id.' };

/** GET|POST /orgs/:org/webhooks, PATCH|DELETE /orgs/:org/webhooks/:webhook, POST .../test. */
export function webhookEndpoints(): ApiEndpoint[] {
  return [
    endpoint({
      method: 'GET', pattern: '/orgs/:org/webhooks', auth: 'signed_in', operationId: 'listWebhooks', params: ORG,
      summary: 'Webhooks (owner or admin). Secrets are never listed.', query: PageQuery,
      responses: { 200: { description: 'A page', schema: WebhookPage } }, errors: [403, 404], run: listWebhooks,
    }),
    endpoint({
      method: 'POST', pattern: '/orgs/:org/webhooks', auth: 'signed_in', operationId: 'createWebhook', params: ORG,
      summary: 'Register a webhook; the answer holds the signing secret, shown this once.', body: CreateWebhookBody,
      responses: { 201: { description: 'Created', schema: WebhookWithSecret } }, errors: [403, 404, 409], run: createWebhook,
    }),
    endpoint({
      method: 'PATCH', pattern: '/orgs/:org/webhooks/:webhook', auth: 'signed_in', operationId: 'updateWebhook', params: PARAMS,
      summary: 'Change url, events, active; rotate_secret makes a new secret (shown once).', body: UpdateWebhookBody,
      responses: { 200: { description: 'Changed', schema: WebhookChanged } }, errors: [403, 404], run: updateWebhook,
    }),
    endpoint({
      method: 'DELETE', pattern: '/orgs/:org/webhooks/:webhook', auth: 'signed_in', operationId: 'deleteWebhook', params: PARAMS,
      summary: 'Delete a webhook and its deliveries.', responses: { 204: { description: 'Deleted' } }, errors: [403, 404], run: deleteWebhook,
    }),
    endpoint({
      method: 'POST', pattern: '/orgs/:org/webhooks/:webhook/test', auth: 'signed_in', operationId: 'testWebhook', params: PARAMS,
      summary: 'Queue a webhook.test delivery.', responses: { 202: { description: 'Queued', schema: TestQueued } },
      errors: [403, 404], run: testWebhook,
    }),
  ];
}

/** A signing secret: 32 random bytes, standard base64, with a prefix that makes it recognisable in a leak scan. */
export function newWebhookSecret(): string {
  // Standard Webhooks secrets: "whsec_" + standard base64 of the key (strict decoders refuse base64url).
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The webhook in the path, which must belong to the organization in the path (404 otherwise: no IDOR). */
export async function webhookOf(call: ApiCall, org: Organization): Promise<Webhook> {
  const id = call.params.webhook ?? '';
  const webhook = ID.test(id) ? await call.deps.store.webhooks.get(id) : null;
  if (!webhook || webhook.orgId !== org.id) throw new ApiNotFoundError('webhook');
  return webhook;
}

async function listWebhooks(call: ApiCall<z.output<typeof PageQuery>>): Promise<ApiResult> {
  const { org } = await orgFor(call, 'manage');
  const page = await call.deps.store.webhooks.listForOrg(org.id, call.query);
  return { status: 200, body: pageView(page, (w) => webhookView(w)) };
}

/** Registers a webhook; the answer carries the secret, the only time it is shown. */
async function createWebhook(call: ApiCall<unknown, z.output<typeof CreateWebhookBody>>): Promise<ApiResult> {
  const { org } = await orgFor(call, 'manage');
  const { url: rawUrl, events, active = true } = await call.body();
  const url = await checkWebhookUrl(rawUrl, call.deps.webhooks.allow_private_targets);
  const max = call.deps.webhooks.max_per_org;
  const secret = newWebhookSecret();
  const webhook = await call.deps.store.perform(createWebhookTx, { orgId: org.id, url, secret, events, active, max });
  call.audit('webhook.created', { org: org.id, target: webhook.id, data: { url, events, active } });
  return { status: 201, body: webhookView(webhook, secret), headers: { location: `/.gatehouse/api/v1/orgs/${org.id}/webhooks/${webhook.id}` } };
}

/** Changes url, events or active; `rotate_secret: true` makes a new secret, shown in this answer only. */
async function updateWebhook(call: ApiCall<unknown, z.output<typeof UpdateWebhookBody>>): Promise<ApiResult> {
  const { org } = await orgFor(call, 'manage');
  const webhook = await webhookOf(call, org);
  const { url: rawUrl, events, active, rotate_secret: rotate = false } = await call.body();
  const url = rawUrl === undefined ? undefined : await checkWebhookUrl(rawUrl, call.deps.webhooks.allow_private_targets);
  const secret = rotate ? newWebhookSecret() : undefined;
  const updated = await call.deps.store.webhooks.update(webhook.id, {
    ...(url === undefined ? {} : { url }), ...(events === undefined ? {} : { events }),
    ...(active === undefined ? {} : { active }), ...(secret === undefined ? {} : { secret }),
  });
  call.audit('webhook.updated', {
    org: org.id, target: webhook.id,
    data: { ...(url === undefined ? {} : { url }), ...(events === undefined ? {} : { events }), ...(active === undefined ? {} : { active }), secret_rotated: rotate },
  });
  return { status: 200, body: webhookView(updated, secret) };
}

async function deleteWebhook(call: ApiCall): Promise<ApiResult> {
  const { org } = await orgFor(call, 'manage');
  const webhook = await webhookOf(call, org);
  await call.body();
  await call.deps.store.webhooks.delete(webhook.id);
  call.audit('webhook.deleted', { org: org.id, target: webhook.id, data: { url: webhook.url } });
  return { status: 204 };
}

/** Queues a `webhook.test` delivery to this webhook (whatever it subscribes to, and even when disabled). */
async function testWebhook(call: ApiCall): Promise<ApiResult> {
  const { org } = await orgFor(call, 'manage');
  const webhook = await webhookOf(call, org);
  await call.body();
  const id = randomUUID();
  const now = new Date();
  await call.deps.store.deliveries.enqueue([{
    id, webhookId: webhook.id, event: 'webhook.test', createdAt: now, nextAttemptAt: now,
    payload: envelope(id, 'webhook.test', org, { webhook_id: webhook.id, requested_by: call.caller.user.id }, now),
  }]);
  call.deps.events.publish('outbox.queued', { count: 1 });
  call.audit('webhook.tested', { org: org.id, target: webhook.id, data: { delivery: id } });
  return { status: 202, body: { delivery_id: id } };
}

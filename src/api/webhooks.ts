import { randomBytes, randomUUID } from 'node:crypto';
import type { Organization, Webhook } from '../store/store.js';
import { orgFor } from './access.js';
import type { ApiCall, ApiEndpoint, ApiResult } from './context.js';
import { ApiNotFoundError, ApiValidationError } from './errors.js';
import { envelope, WEBHOOK_EVENTS } from './events.js';
import { checkWebhookUrl } from './webhook-url.js';
import { createWebhookTx } from './write-ops.js';
import { ID, booleanField, pageQuery, strictQuery, stringArrayField, stringField } from './validate.js';
import { pageView, webhookView } from './views.js';

const EVENT_NAMES: readonly string[] = [...WEBHOOK_EVENTS, '*'];

/** GET|POST /orgs/:org/webhooks, PATCH|DELETE /orgs/:org/webhooks/:webhook, POST .../test. */
export function webhookEndpoints(): ApiEndpoint[] {
  return [
    { method: 'GET', pattern: '/orgs/:org/webhooks', auth: 'signed_in', run: listWebhooks },
    { method: 'POST', pattern: '/orgs/:org/webhooks', auth: 'signed_in', run: createWebhook },
    { method: 'PATCH', pattern: '/orgs/:org/webhooks/:webhook', auth: 'signed_in', run: updateWebhook },
    { method: 'DELETE', pattern: '/orgs/:org/webhooks/:webhook', auth: 'signed_in', run: deleteWebhook },
    { method: 'POST', pattern: '/orgs/:org/webhooks/:webhook/test', auth: 'signed_in', run: testWebhook },
  ];
}

/** A signing secret: 32 random bytes, base64url, with a prefix that makes it recognisable in a leak scan. */
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

function eventsField(body: Record<string, unknown>, required: boolean): string[] | undefined {
  return stringArrayField(body, 'events', { required, minItems: 1, maxItems: EVENT_NAMES.length, oneOf: EVENT_NAMES });
}

async function listWebhooks(call: ApiCall): Promise<ApiResult> {
  strictQuery(call.query, ['limit', 'cursor']);
  const { org } = await orgFor(call, 'manage');
  const page = await call.deps.store.webhooks.listForOrg(org.id, pageQuery(call.query));
  return { status: 200, body: pageView(page, (w) => webhookView(w)) };
}

/** Registers a webhook; the answer carries the secret, the only time it is shown. */
async function createWebhook(call: ApiCall): Promise<ApiResult> {
  strictQuery(call.query, []);
  const { org } = await orgFor(call, 'manage');
  const body = await call.body(['url', 'events', 'active']);
  const rawUrl = stringField(body, 'url', { required: true, max: 2048 });
  const events = eventsField(body, true)!;
  const active = booleanField(body, 'active') ?? true;
  const url = await checkWebhookUrl(rawUrl, call.deps.webhooks.allow_private_targets);
  const max = call.deps.webhooks.max_per_org;
  const secret = newWebhookSecret();
  const webhook = await call.deps.store.perform(createWebhookTx, { orgId: org.id, url, secret, events, active, max });
  call.audit('webhook.created', { org: org.id, target: webhook.id, data: { url, events, active } });
  return { status: 201, body: webhookView(webhook, secret), headers: { location: `/.gatehouse/api/v1/orgs/${org.id}/webhooks/${webhook.id}` } };
}

/** Changes url, events or active; `rotate_secret: true` makes a new secret, shown in this answer only. */
async function updateWebhook(call: ApiCall): Promise<ApiResult> {
  strictQuery(call.query, []);
  const { org } = await orgFor(call, 'manage');
  const webhook = await webhookOf(call, org);
  const body = await call.body(['url', 'events', 'active', 'rotate_secret']);
  const rawUrl = stringField(body, 'url', { max: 2048 });
  const events = eventsField(body, false);
  const active = booleanField(body, 'active');
  const rotate = booleanField(body, 'rotate_secret') ?? false;
  if (rawUrl === undefined && events === undefined && active === undefined && !rotate) {
    throw new ApiValidationError('body', 'expected at least one of url, events, active, rotate_secret');
  }
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
  strictQuery(call.query, []);
  const { org } = await orgFor(call, 'manage');
  const webhook = await webhookOf(call, org);
  await call.body([]);
  await call.deps.store.webhooks.delete(webhook.id);
  call.audit('webhook.deleted', { org: org.id, target: webhook.id, data: { url: webhook.url } });
  return { status: 204 };
}

/** Queues a `webhook.test` delivery to this webhook (whatever it subscribes to, and even when disabled). */
async function testWebhook(call: ApiCall): Promise<ApiResult> {
  strictQuery(call.query, []);
  const { org } = await orgFor(call, 'manage');
  const webhook = await webhookOf(call, org);
  await call.body([]);
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

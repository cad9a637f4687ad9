/**
 * The webhook deliverer (modelled on Outline's DeliverWebhookTask): it sends the delivery outbox. Every
 * `webhooks.poll_interval` (and at once when this replica queued something) it reads how many deliveries are due
 * (a read-only query, so idle replicas take no write lock), claims up to `batch_size` of them with a lease
 * (`claimDue`: FOR UPDATE SKIP LOCKED on PostgreSQL and MySQL, the single writer on SQLite, so each delivery goes
 * to one replica only), and sends them concurrently.
 *
 * One attempt: POST the stored JSON body signed as Standard Webhooks do (`webhook-id` = the delivery id, the same on
 * every retry, for idempotency; `webhook-timestamp`; `webhook-signature`: see webhook-signature.ts), with
 * `X-Gatehouse-Event`, `X-Gatehouse-Delivery` and, for one release, the previous `X-Gatehouse-Signature`. A 5 s timeout covers the whole
 * attempt; redirects are never followed (a 3xx is a failure: following one would let a target bounce us to an
 * internal address); the response body is read up to 2 KiB. Every attempt is recorded (outcome, status code,
 * truncated body, error, duration) in the same transaction that schedules what comes next: delivered, a retry
 * after exponential backoff with jitter, or failed once `max_attempts` is reached (at once when the SSRF guard
 * refused the target). A webhook whose last `disable_after` finished deliveries all failed is disabled, and why
 * is recorded in the audit trail (`webhook.disabled`).
 *
 * At-least-once: a replica that dies mid-send loses its lease after `webhooks.lease`, and another replica sends
 * again with the same delivery id. `stop` stops claiming, lets in-flight attempts finish until its deadline, then
 * aborts the rest and hands them back (pending, due now) so the next start sends them.
 */
import { finishDeliveryTx } from './delivery-ops.js';
import { randomUUID } from 'node:crypto';
import { signatureHeaders } from './webhook-signature.js';
import { hostname } from 'node:os';
import { Agent, request } from 'undici';
import type { Actor } from './actor.js';
import { backoffDelay } from './backoff.js';
import { drainOutbox, outboxLoop } from './outbox-drain.js';
import type { WebhooksConfig } from './config-schema.js';
import { guardedConnector, refusalIn } from '../http/ssrf-guard.js';
import type { AuditRecorder } from './audit-writer.js';
import { isGatehouseError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { SpanKind } from '@opentelemetry/api';
import { TRACING_OFF, type Tracing } from '../tracing/tracing.js';
import { RESPONSE_BODY_MAX, type Store, type Webhook, type WebhookDelivery } from '../store/store.js';

export type WebhookMetrics = Pick<Metrics, 'webhookQueueDepth' | 'webhookDeliveries' | 'webhookDeliveryDuration'> & { readonly tracing?: Tracing };

export interface WebhookDelivererOptions {
  store: Store;
  config: WebhooksConfig;
  metrics: WebhookMetrics;
  logger: Logger;
  audit: AuditRecorder;
  /** Names this deliverer's claims; unique per instance by default (host, pid, random). */
  workerId?: string;
  /** Epoch ms (default Date.now). */
  clock?: () => number;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
}

export interface WebhookDeliverer extends Actor {
  /** Looks for due deliveries now instead of at the next poll. */
  kick(): void;
  /** Sends what is due now, until nothing is; resolves with how many attempts were made (for tests). */
  runOnce(): Promise<number>;
  readonly workerId: string;
}

/** What one attempt came to. */
interface AttemptResult {
  outcome: 'delivered' | 'http_error' | 'redirect' | 'timeout' | 'network_error' | 'refused' | 'aborted';
  responseCode: number | null;
  responseBody: string | null;
  error: string | null;
  durationMs: number;
}

export const USER_AGENT = 'Gatehouse-Webhook/1';

/** Builds the deliverer; `start` arms its poll timer (unless `webhooks.deliver` is false). */
export function createWebhookDeliverer(options: WebhookDelivererOptions): WebhookDeliverer {
  const { store, config, metrics, logger, audit } = options;
  const clock = options.clock ?? Date.now;
  const random = options.random ?? Math.random;
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  let agent: Agent | undefined;
  let stopping = false;
  const inFlight = new Set<AbortController>();
  const { loop, runOnce, kick } = outboxLoop({
    intervalMs: config.poll_interval, what: 'webhook deliverer', logger, ready: () => !stopping && agent !== undefined, drain,
  });

  function drain(): Promise<number> {
    return drainOutbox({
      outbox: store.deliveries, workerId, batchSize: config.batch_size, leaseMs: config.lease, clock,
      stopping: () => stopping,
      setDepth: (unfinished) => metrics.webhookQueueDepth.set(unfinished),
      handle: deliver,
      onBookkeepingFailure: (err, d) => logger.warn({ err, delivery: d.id }, 'webhook delivery bookkeeping failed; it will be retried after its lease'),
    });
  }

  async function deliver(d: WebhookDelivery): Promise<void> {
    const webhook = await store.webhooks.get(d.webhookId);
    if (!webhook) return; // deleted meanwhile: its deliveries went with it
    if (!webhook.active && d.event !== 'webhook.test') {
      metrics.webhookDeliveries.inc({ result: 'skipped' });
      await finish(d, { outcome: 'refused', responseCode: null, responseBody: null, error: 'webhook is disabled', durationMs: 0 }, 'failed');
      return;
    }
    // One root span per attempt (a delivery is background work, no request's child); the receiver is not told the
    // trace: its URL is an org admin's choice, not a party of this deployment's traces.
    const end = (metrics.tracing ?? TRACING_OFF).start('webhook deliver', {
      'gatehouse.webhook.id': webhook.id, 'gatehouse.delivery.id': d.id, 'gatehouse.webhook.event': d.event, 'gatehouse.delivery.attempt': d.attempt,
    }, SpanKind.CLIENT, true);
    const result = await attempt(webhook, d);
    end(result.outcome === 'delivered' ? undefined : Object.assign(new Error(result.error ?? result.outcome), { code: result.outcome }), {
      'gatehouse.delivery.outcome': result.outcome, ...(result.responseCode !== null ? { 'http.response.status_code': result.responseCode } : {}),
    });
    metrics.webhookDeliveryDuration.observe(result.durationMs / 1000);
    if (result.outcome === 'delivered') {
      metrics.webhookDeliveries.inc({ result: 'delivered' });
      await finish(d, result, 'delivered');
      return;
    }
    if (result.outcome === 'aborted') {
      // Shutting down: hand it back, due now, so the next start (or another replica) sends it.
      await finish(d, result, 'pending', new Date(clock()));
      return;
    }
    const final = result.outcome === 'refused' || d.attempt >= config.max_attempts;
    if (!final) {
      metrics.webhookDeliveries.inc({ result: 'retry' });
      const delay = backoffDelay(d.attempt - 1, { baseMs: config.backoff_base, capMs: config.backoff_cap, random });
      await finish(d, result, 'pending', new Date(clock() + delay));
      return;
    }
    metrics.webhookDeliveries.inc({ result: result.outcome === 'refused' ? 'refused' : 'failed' });
    logger.warn({ delivery: d.id, webhook: webhook.id, attempts: d.attempt, outcome: result.outcome, code: result.responseCode }, 'webhook delivery failed for good');
    await finish(d, result, 'failed');
    await disableIfFailing(webhook, result);
  }

  /** Records the attempt and its consequence together. */
  async function finish(d: WebhookDelivery, r: AttemptResult, status: 'delivered' | 'failed' | 'pending', nextAttemptAt?: Date): Promise<void> {
    try {
      const held = await store.perform(finishDeliveryTx, {
        attempt: {
          deliveryId: d.id, attempt: d.attempt, outcome: r.outcome, responseCode: r.responseCode, responseBody: r.responseBody,
          error: r.error, durationMs: r.durationMs, at: new Date(clock()),
        },
        deliveryId: d.id, workerId,
        outcome: { status, responseCode: r.responseCode, responseBody: r.responseBody ?? r.error, ...(nextAttemptAt ? { nextAttemptAt } : {}) },
      });
      if (!held) logger.warn({ delivery: d.id }, 'webhook delivery lease was lost before the attempt finished (it took longer than webhooks.lease)');
    } catch (err) {
      if (isGatehouseError(err) && err.code === 'GATE_ERR_STORE_NOT_FOUND') return; // the webhook was deleted meanwhile
      throw err;
    }
  }

  async function disableIfFailing(webhook: Webhook, last: AttemptResult): Promise<void> {
    const n = config.disable_after;
    const recent = await store.deliveries.listForWebhook(webhook.id, { limit: Math.min(500, n * 4 + 20) });
    const finished = recent.items.filter((x) => x.status === 'delivered' || x.status === 'failed')
      .sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime()).slice(0, n);
    if (finished.length < n || !finished.every((x) => x.status === 'failed')) return;
    // Several failed deliveries of one webhook may finish at once (here or on other replicas): only the one that
    // actually turns it off records why.
    if (!await store.webhooks.deactivate(webhook.id)) return;
    const reason = `the last ${n} deliveries failed after all their attempts; last: ${describe(last)}`;
    logger.warn({ webhook: webhook.id, org: webhook.orgId, reason }, 'webhook disabled');
    audit.record({
      actor: null, org: webhook.orgId, action: 'webhook.disabled', target: webhook.id, clientIp: null, userAgent: null,
      data: { reason, consecutive_failures: n, last_outcome: last.outcome, last_response_code: last.responseCode, last_error: last.error },
    });
  }

  async function attempt(webhook: Webhook, d: WebhookDelivery): Promise<AttemptResult> {
    const started = performance.now();
    const took = (): number => performance.now() - started;
    const controller = new AbortController();
    inFlight.add(controller);
    const timeout = setTimeout(() => controller.abort(new TimeoutSignal()), config.timeout);
    try {
      // Checked again at send time: rows may predate a config change or come from elsewhere than the API.
      const url = new URL(webhook.url);
      if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') {
        return { outcome: 'refused', responseCode: null, responseBody: null, error: 'target refused: not an http(s) URL without credentials', durationMs: took() };
      }
      const body = JSON.stringify(d.payload);
      const signed = signatureHeaders(webhook.secret, d.id, Math.floor(clock() / 1000), body);
      const res = await request(url, {
        method: 'POST', dispatcher: agent, signal: controller.signal, body,
        headersTimeout: config.timeout, bodyTimeout: config.timeout,
        headers: {
          'content-type': 'application/json', 'user-agent': USER_AGENT,
          'x-gatehouse-delivery': d.id, 'x-gatehouse-event': d.event, 'x-gatehouse-attempt': String(d.attempt),
          ...signed,
        },
      });
      const text = await readCapped(res.body, RESPONSE_BODY_MAX);
      const code = res.statusCode;
      if (code >= 200 && code < 300) return { outcome: 'delivered', responseCode: code, responseBody: text, error: null, durationMs: took() };
      if (code >= 300 && code < 400) {
        const location = res.headers.location;
        return {
          outcome: 'redirect', responseCode: code, responseBody: text, durationMs: took(),
          error: `redirect not followed${typeof location === 'string' ? ` (to ${location.slice(0, 512)})` : ''}`,
        };
      }
      return { outcome: 'http_error', responseCode: code, responseBody: text, error: `HTTP ${code}`, durationMs: took() };
    } catch (err) {
      if (refusalIn(err)) {
        // Deliberately vague: which internal address a name resolves to is not the org admin's business.
        return { outcome: 'refused', responseCode: null, responseBody: null, error: 'target refused: not a public address (webhooks.allow_private_targets is off)', durationMs: took() };
      }
      if (controller.signal.aborted) {
        const timedOut = controller.signal.reason instanceof TimeoutSignal;
        return { outcome: timedOut ? 'timeout' : 'aborted', responseCode: null, responseBody: null, error: timedOut ? `no answer within ${config.timeout} ms` : 'aborted: Gatehouse was stopping', durationMs: took() };
      }
      const code = (err as { code?: unknown }).code;
      const message = err instanceof Error ? err.message : String(err);
      return { outcome: 'network_error', responseCode: null, responseBody: null, error: `${typeof code === 'string' ? `${code}: ` : ''}${message}`.slice(0, 512), durationMs: took() };
    } finally {
      clearTimeout(timeout);
      inFlight.delete(controller);
    }
  }

  return {
    name: 'webhook-deliverer',
    workerId,
    kick,
    runOnce,
    start() {
      if (!config.deliver || agent !== undefined) return;
      stopping = false;
      agent = new Agent({
        connect: guardedConnector(config.allow_private_targets, config.timeout),
        headersTimeout: config.timeout, bodyTimeout: config.timeout, keepAliveTimeout: 4_000, connections: 32,
      });
      loop.start();
      setImmediate(() => void loop.wake()); // deliveries left over from before a restart go out at once
    },
    async stop(deadlineMs) {
      stopping = true;
      await loop.stop(Math.max(0, deadlineMs - 500));
      const running = loop.running;
      if (running !== undefined) {
        for (const c of inFlight) c.abort(new Error('shutdown'));
        let t: NodeJS.Timeout | undefined;
        await Promise.race([running, new Promise((r) => { t = setTimeout(r, 500); })]);
        clearTimeout(t);
      }
      const a = agent;
      agent = undefined;
      await a?.destroy().catch(() => undefined);
    },
  };
}

/** The abort reason for a timed-out attempt (told apart from a shutdown). */
class TimeoutSignal extends Error {
  constructor() {
    super('webhook attempt timed out');
  }
}

/** Reads at most `max` bytes of a body as text, then lets the rest go (the connection is dropped). */
async function readCapped(body: AsyncIterable<Buffer> & { destroy?: () => void }, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= max) break;
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8').slice(0, max);
}

function describe(r: AttemptResult): string {
  return r.responseCode !== null ? `HTTP ${r.responseCode}` : `${r.outcome}${r.error ? ` (${r.error})` : ''}`;
}

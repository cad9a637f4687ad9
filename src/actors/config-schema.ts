import { z } from 'zod';
import { durationMs } from '../config/schema-helpers.js';

/** The `audit:` section: the bounded queue in front of the store and how it is flushed. */
export const auditSchema = z.strictObject({
  batch_size: z.number().int().positive().max(10_000).default(100),
  flush_interval: durationMs.default(1_000),
  /** Most events held in memory while the store is slow or down. */
  queue_size: z.number().int().positive().max(1_000_000).default(10_000),
  /** When the queue is full: `drop` the event (counted) or `reject` the request that would record it with 503. */
  overflow: z.enum(['drop', 'reject']).default('drop'),
}).prefault({});

export type AuditConfig = z.output<typeof auditSchema>;

/**
 * The `webhooks:` section: how the deliverer sends the outbox. Every bound has a written default (STYLE rule 5);
 * the 5 s timeout and "no redirects" follow Outline's DeliverWebhookTask.
 */
export const webhooksSchema = z.strictObject({
  /**
   * Let webhooks target loopback, private, link-local, unique-local, CGNAT and other non-public addresses. Off by
   * default: a webhook URL is attacker-chosen input (SSRF). Checked against the address actually connected to.
   */
  allow_private_targets: z.boolean().default(false),
  /** Whole-attempt timeout: connect, headers and the (truncated) body. */
  timeout: durationMs.refine((ms) => ms > 0 && ms <= 30_000, 'expected a timeout between 1ms and 30s').default(5_000),
  /** Attempts per delivery (the first included) before it is marked failed. */
  max_attempts: z.number().int().min(1).max(50).default(8),
  /** Delay before the first retry; doubles per attempt, with jitter, up to `backoff_cap`. */
  backoff_base: durationMs.default(10_000),
  backoff_cap: durationMs.default(3_600_000),
  /** A webhook whose last this-many finished deliveries all failed (retries exhausted) is disabled. */
  disable_after: z.number().int().min(1).max(1000).default(5),
  /** How often each replica looks for due deliveries (an API change on this replica also wakes it at once). */
  poll_interval: durationMs.default(1_000),
  /** Deliveries claimed (and sent concurrently) per poll. */
  batch_size: z.number().int().min(1).max(100).default(10),
  /** How long a claim is held; a replica that dies mid-send is replaced after this. Must exceed `timeout`. */
  lease: durationMs.default(60_000),
  /** Most webhooks one organization may register. */
  max_per_org: z.number().int().min(1).max(1000).default(20),
  /** Send deliveries from this replica (turn off for API-only replicas; another replica must send). */
  deliver: z.boolean().default(true),
}).refine((w) => w.lease > w.timeout * 2, { message: 'lease must be more than twice the timeout', path: ['lease'] })
  .refine((w) => w.backoff_cap >= w.backoff_base, { message: 'backoff_cap must be at least backoff_base', path: ['backoff_cap'] })
  .prefault({});

export type WebhooksConfig = z.output<typeof webhooksSchema>;

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

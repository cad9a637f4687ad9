/**
 * The audit writer: the story's fix 2 ("move audit writes out of the request path"). `record` never waits for I/O:
 * it stamps the event with its id and time and pushes it into a bounded in-memory queue. One writer loop drains the
 * queue in batches of `audit.batch_size`, or every `audit.flush_interval` when fewer are waiting, whichever comes
 * first. A failed flush (StoreBusyError from a held SQLite lock, StoreDownError, anything) is retried with
 * exponential backoff and jitter; the batch stays at the head of the queue meanwhile, so nothing is lost and order
 * is kept. The id is chosen at record time and the store skips ids it already has, so a batch that committed but
 * whose answer was lost adds no duplicates when retried.
 *
 * Past `audit.queue_size` the configured overflow policy applies: `drop` (the event is discarded and counted in
 * gatehouse_audit_events_dropped_total) or `reject` (record throws GATE_ERR_AUDIT_QUEUE_FULL, so the request that
 * wanted the event answers 503 rather than acting unaudited). `stop` flushes everything queued before resolving,
 * up to its deadline.
 */
import { randomUUID } from 'node:crypto';
import type { Actor } from './actor.js';
import type { AuditConfig } from './config-schema.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { GatehouseError, isGatehouseError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AuditEvent, Store } from '../store/store.js';

/** An audit event as producers hand it over: `id` and `at` are filled in when absent. The one type every producer uses. */
export type AuditRecord = Omit<AuditEvent, 'id' | 'at'> & Partial<Pick<AuditEvent, 'id' | 'at'>>;

/** What producers need from the audit writer: a call that never waits for I/O. */
export interface AuditRecorder {
  /** Queues an event; never waits. Throws GATE_ERR_AUDIT_QUEUE_FULL when full under `overflow: reject`. */
  record(event: AuditRecord): void;
}

export type AuditWriterMetrics = Pick<Metrics,
  'auditQueueDepth' | 'auditQueueCapacity' | 'auditWritten' | 'auditDropped' | 'auditFlushDuration'>;

export interface AuditWriterOptions {
  store: Pick<Store, 'audit'>;
  config: AuditConfig;
  metrics: AuditWriterMetrics;
  logger: Logger;
  /** Epoch ms for events recorded without `at` (default Date.now). */
  clock?: () => number;
  /** Retry delays after a failed flush (default 100 ms doubling to a 5 s cap, with jitter). */
  backoff?: BackoffOptions;
}

/** Counters since the writer was built. */
export interface AuditWriterStats {
  depth: number;
  capacity: number;
  written: number;
  dropped: number;
  rejected: number;
  failedFlushes: number;
}

export interface AuditWriter extends Actor, AuditRecorder {
  stats(): AuditWriterStats;
}

// Column bounds shared by every driver's schema (the narrowest is MySQL's VARCHARs). Checked when the event is
// recorded, so one malformed event fails its producer at once instead of wedging the queue behind it forever.
const LIMITS = { id: 128, action: 128, actor: 255, org: 128, clientIp: 64 } as const;

/** Builds the audit writer; see the file comment. Call `start` to begin flushing. */
export function createAuditWriter(options: AuditWriterOptions): AuditWriter {
  const { store, config, metrics, logger } = options;
  const clock = options.clock ?? Date.now;
  const capacity = config.queue_size;
  const batchSize = config.batch_size;

  // The queue: items[head..] are waiting; a batch being written is items[head..head+n) until it commits.
  let items: AuditEvent[] = [];
  let head = 0;
  let written = 0;
  let dropped = 0;
  let rejected = 0;
  let failedFlushes = 0;

  let started = false;
  let stopping = false;
  let halted = false;
  let loop: Promise<void> | undefined;
  /** When the oldest unflushed event must be written at the latest (flush_interval after it arrived). */
  let dueAt = 0;
  let backingOff = false;
  let wake: (() => void) | undefined;

  metrics.auditQueueCapacity.set(capacity);
  metrics.auditQueueDepth.set(0);

  const depth = (): number => items.length - head;

  function signal(): void {
    const w = wake;
    wake = undefined;
    w?.();
  }

  /** Waits until `signal` or `ms` (forever when undefined) passes. */
  function pause(ms: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => { wake = undefined; resolve(); }, ms);
      wake = () => { if (timer !== undefined) clearTimeout(timer); resolve(); };
    });
  }

  function resultLabel(err: unknown): string {
    if (isGatehouseError(err)) {
      if (err.code === 'GATE_ERR_STORE_BUSY') return 'busy';
      if (err.code === 'GATE_ERR_STORE_DOWN') return 'down';
    }
    return 'error';
  }

  async function run(): Promise<void> {
    let attempt = 0;
    while (!halted) {
      if (depth() === 0) {
        if (stopping) { halted = true; return; } // later records are dropped and counted: nobody would flush them
        await pause(undefined);
        continue;
      }
      if (!stopping && attempt === 0 && depth() < batchSize) {
        const wait = dueAt - performance.now();
        if (wait > 0) {
          await pause(wait);
          continue;
        }
      }
      const batch = items.slice(head, head + batchSize);
      const end = metrics.auditFlushDuration.startTimer();
      try {
        await store.audit.insert(batch);
        end({ result: 'success' });
        if (halted) return; // stop's deadline passed while writing: stop already reported what was left
        head += batch.length;
        if (head > 1024 && head * 2 > items.length) { items = items.slice(head); head = 0; }
        written += batch.length;
        metrics.auditWritten.inc(batch.length);
        metrics.auditQueueDepth.set(depth());
        if (attempt > 0) logger.info({ attempts: attempt + 1, events: batch.length }, 'audit flush succeeded after retries');
        attempt = 0;
        dueAt = performance.now() + config.flush_interval;
      } catch (err) {
        const result = resultLabel(err);
        end({ result });
        failedFlushes++;
        const delay = backoffDelay(attempt, options.backoff);
        attempt++;
        logger.warn({ err, result, attempt, events: batch.length, queued: depth(), retryInMs: delay },
          'audit flush failed; keeping the events and retrying');
        backingOff = true;
        await pause(delay); // only stop() cuts this short, so the final drain starts at once
        backingOff = false;
      }
    }
  }

  function startLoop(): void {
    if (loop !== undefined) return;
    loop = run().catch((err: unknown) => {
      // run() catches store errors itself; anything here is a bug, and must not become an unhandled rejection.
      logger.error({ err }, 'audit writer loop crashed');
    });
  }

  function check(event: AuditRecord): void {
    for (const [field, max] of Object.entries(LIMITS)) {
      const value = (event as unknown as Record<string, unknown>)[field];
      if (typeof value === 'string' && value.length > max) throw new TypeError(`audit event ${field} longer than ${max} characters`);
    }
    if (typeof event.action !== 'string' || event.action === '') throw new TypeError('audit event needs an action');
    if (event.data !== undefined && event.data !== null) JSON.stringify(event.data); // throws on cycles and BigInt
  }

  return {
    name: 'audit-writer',

    record(event) {
      check(event);
      if (depth() >= capacity || halted) {
        if (config.overflow === 'reject' && !halted) {
          rejected++;
          throw new GatehouseError('GATE_ERR_AUDIT_QUEUE_FULL', undefined, { detail: `${capacity} audit events already queued`, retryable: true });
        }
        dropped++;
        metrics.auditDropped.inc();
        if (halted) logger.warn({ action: event.action }, 'audit event recorded after the writer stopped; dropped');
        return;
      }
      const full: AuditEvent = {
        id: event.id ?? randomUUID(),
        at: event.at ?? new Date(clock()),
        actor: event.actor ?? null,
        org: event.org ?? null,
        action: event.action,
        target: event.target ?? null,
        clientIp: event.clientIp ?? null,
        userAgent: event.userAgent ?? null,
        data: event.data ?? null,
      };
      if (depth() === 0) dueAt = performance.now() + config.flush_interval;
      items.push(full);
      metrics.auditQueueDepth.set(depth());
      // Wake the loop for a full batch, or for the first event (so it arms the flush_interval timer); never while
      // it backs off from a failure: record must not turn into a retry storm against a busy store.
      if (!backingOff && (depth() === 1 || depth() === batchSize)) signal();
    },

    start() {
      if (started) return;
      started = true;
      startLoop();
    },

    async stop(deadlineMs) {
      stopping = true;
      startLoop(); // never started: still drain what was recorded
      signal();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>((resolve) => { timer = setTimeout(() => resolve('deadline'), deadlineMs); });
      const outcome = await Promise.race([loop!.then(() => 'done' as const), deadline]);
      clearTimeout(timer);
      if (outcome === 'deadline') {
        halted = true;
        signal();
        logger.error({ lost: depth(), deadlineMs }, 'audit writer stopped before its queue was flushed; these events are lost');
      }
    },

    stats: () => ({ depth: depth(), capacity, written, dropped, rejected, failedFlushes }),
  };
}

import { isGatehouseError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { pollingLoop, type PollingLoop } from './polling-loop.js';

/**
 * One round of an outbox actor (webhook deliverer, mail sender): claims what is due in batches under a lease and
 * hands each item to `handle` until nothing is due or a batch comes back short. A failure of an item's bookkeeping
 * is only logged: the claim stays, its lease runs out, and the item is retried (by this replica or another).
 */
export interface LeasedOutbox<T> {
  queueStats(now: Date): Promise<{ unfinished: number; due: number }>;
  claimDue(workerId: string, now: Date, limit: number, leaseMs: number): Promise<T[]>;
}

export interface OutboxDrain<T> {
  readonly outbox: LeasedOutbox<T>;
  readonly workerId: string;
  readonly batchSize: number;
  readonly leaseMs: number;
  readonly clock: () => number;
  /** Whether the actor is stopping: no further batch is claimed. */
  readonly stopping: () => boolean;
  /** Sets the queue-depth gauge (unfinished items). */
  readonly setDepth: (unfinished: number) => void;
  readonly handle: (item: T) => Promise<void>;
  /** Called when `handle` throws (bookkeeping failed); the item is retried after its lease. */
  readonly onBookkeepingFailure: (err: unknown, item: T) => void;
}

/** Drains the outbox once; resolves with the number of items handed to `handle`. */
export async function drainOutbox<T>(d: OutboxDrain<T>): Promise<number> {
  let handled = 0;
  while (!d.stopping()) {
    const stats = await d.outbox.queueStats(new Date(d.clock()));
    d.setDepth(stats.unfinished);
    if (stats.due === 0) break;
    const claimed = await d.outbox.claimDue(d.workerId, new Date(d.clock()), d.batchSize, d.leaseMs);
    if (claimed.length === 0) break;
    await Promise.all(claimed.map((item) => d.handle(item).catch((err: unknown) => d.onBookkeepingFailure(err, item))));
    handled += claimed.length;
    if (claimed.length < d.batchSize) break;
  }
  return handled;
}

/** The polling loop an outbox actor runs around `drainOutbox`, and the two ways to wake it. */
export interface OutboxLoop {
  readonly loop: PollingLoop;
  /** Runs a round now (or waits for the running one, then one more); resolves with the items handed over by it. */
  runOnce(): Promise<number>;
  /** Wakes a started loop without waiting (something was just queued). */
  kick(): void;
}

/**
 * One round drains the outbox until nothing is due, when `ready()`; a failed round (the store unreachable) is logged
 * as `<what> poll failed` and retried at the next poll. A kick during a round runs one more after it (polling-loop.ts).
 */
export function outboxLoop(o: { intervalMs: number; what: string; logger: Logger; ready: () => boolean; drain: () => Promise<number> }): OutboxLoop {
  let handled = 0;
  const loop = pollingLoop(o.intervalMs, async () => {
    if (!o.ready()) return;
    try {
      handled += await o.drain();
    } catch (err) {
      o.logger.warn({ err: isGatehouseError(err) ? { code: err.code, message: err.message } : err }, `${o.what} poll failed; retrying at the next poll`);
    }
  });
  return {
    loop,
    async runOnce() {
      const before = handled;
      await loop.wake();
      return handled - before;
    },
    kick() {
      if (loop.armed) setImmediate(() => void loop.wake());
    },
  };
}

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

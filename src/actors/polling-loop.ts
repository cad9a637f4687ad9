/**
 * The loop every polling actor shares (change feed, session sweeper, webhook deliverer): a round runs on a timer and
 * on demand, never two at once. A wake-up that arrives during a round runs one more round right after it, so work
 * queued meanwhile is never left for the next tick. `stop` disarms the timer, runs no further round, and waits for
 * the one in progress, up to a deadline.
 */
import { AsyncResource } from 'node:async_hooks';
export interface PollingLoop {
  /** Runs a round now, or one more after the round in progress; resolves when no round is left to run. */
  wake(): Promise<void>;
  /** The rounds in progress, if any. */
  readonly running: Promise<void> | undefined;
  /** Whether the timer is armed (started and not stopped). */
  readonly armed: boolean;
  /** Arms the timer (again, after a `stop`); it is unref'd (polling alone is no reason to keep the process alive). */
  start(): void;
  /** Disarms the timer and waits for the round in progress, at most `deadlineMs` (default: as long as it takes). */
  stop(deadlineMs?: number): Promise<void>;
}

/** Builds a polling loop; `round` must not reject (each actor logs its own failures and tries again next round). */
export function pollingLoop(intervalMs: number, round: () => Promise<void>): PollingLoop {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  // Rounds run in the async context of the loop's creation, not of whoever woke it: a request that wakes the webhook
  // deliverer must not become the parent of the deliveries' spans (src/tracing/), nor lend them anything else.
  const scope = new AsyncResource('GatehousePollingLoop');

  function wake(): Promise<void> {
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = scope.runInAsyncScope(async () => {
      do {
        again = false;
        await round();
      } while (again && !stopped);
    }).finally(() => { running = undefined; });
    return running;
  }

  return {
    wake,
    get running() { return running; },
    get armed() { return timer !== undefined; },
    start() {
      if (timer !== undefined) return;
      stopped = false;
      timer = setInterval(() => { if (!stopped) void wake(); }, intervalMs);
      timer.unref();
    },
    async stop(deadlineMs = Infinity) {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      if (running === undefined) return;
      if (deadlineMs === Infinity) {
        await running;
        return;
      }
      let t: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise((r) => { t = setTimeout(r, Math.max(0, deadlineMs)); })]);
      clearTimeout(t);
    },
  };
}

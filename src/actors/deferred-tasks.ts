/**
 * Work that must not run on a request's path but is too small for an outbox: a bounded set of tasks started after
 * the answer was sent (a password-reset request looks the account up and queues its mail only after answering, so
 * the answer and its timing are the same whether or not the account exists). At most `max` tasks run at once;
 * past it a task is dropped and logged (the caller's answer does not change: a reset request may be repeated).
 * `stop` waits for the tasks in flight until its deadline.
 */
import type { Actor } from './actor.js';
import type { Logger } from '../log/logger.js';

export interface DeferredTasks extends Actor {
  /** Runs `task` soon, off the caller's path; false when it was dropped because `max` tasks are in flight. */
  run(name: string, task: () => Promise<void>): boolean;
  /** Resolves when every task started so far has finished (for tests). */
  idle(): Promise<void>;
}

/** Builds the runner. */
export function createDeferredTasks(options: { max: number; logger: Logger }): DeferredTasks {
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  return {
    name: 'deferred-tasks',
    run(name, task) {
      if (stopped || inFlight.size >= options.max) {
        options.logger.warn({ task: name, inFlight: inFlight.size }, 'deferred task dropped: too many in flight');
        return false;
      }
      const p: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(task)
        .catch((err: unknown) => { options.logger.warn({ err, task: name }, 'deferred task failed'); })
        .finally(() => { inFlight.delete(p); });
      inFlight.add(p);
      return true;
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    start() {
      stopped = false;
    },
    async stop(deadlineMs) {
      stopped = true;
      let t: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all([...inFlight]), new Promise((r) => { t = setTimeout(r, Math.max(0, deadlineMs)); })]);
      clearTimeout(t);
    },
  };
}

/**
 * The one lifecycle every background actor shares (audit writer, last-seen debouncer, webhook deliverer,
 * sweeper, config watcher): started after the listeners, stopped after they drain, and `stop` drains the actor's
 * own queue before it resolves.
 */
export interface Actor {
  readonly name: string;
  start(): void | Promise<void>;
  /** Stops taking work and drains what is queued; resolves when done or when `deadlineMs` has passed. */
  stop(deadlineMs: number): Promise<void>;
}

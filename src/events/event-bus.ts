/** A listener of one event type. */
export type Listener<E> = (event: E) => void | Promise<void>;

/**
 * A small typed event bus, one per instance (created by the composition root): owners publish what happened
 * (a login, a committed membership change), and the parts that react subscribe (audit, webhooks, cache eviction),
 * so the owner does not know who reacts and nothing is patched in from outside.
 *
 * Delivery is synchronous and in subscription order, inside `publish`: a listener that must not delay the publisher
 * returns at once and finishes its work in the background; a rejection of that work is reported to `onError`. A
 * listener that throws synchronously is a refusal the publisher must hear (the audit queue full under
 * `audit.overflow: reject`: the request answers 503 rather than act unaudited): every other listener still runs,
 * then the first such error is thrown from `publish`.
 */
export class EventBus<M extends object> {
  readonly #listeners = new Map<keyof M, Listener<never>[]>();
  readonly #onError: (err: unknown, type: keyof M) => void;

  constructor(onError: (err: unknown, type: keyof M) => void) {
    this.#onError = onError;
  }

  /** Subscribes to one event type; returns the unsubscribe function. */
  on<K extends keyof M>(type: K, listener: Listener<M[K]>): () => void {
    const list = this.#listeners.get(type) ?? [];
    list.push(listener as Listener<never>);
    this.#listeners.set(type, list);
    return () => {
      const at = list.indexOf(listener as Listener<never>);
      if (at !== -1) list.splice(at, 1);
    };
  }

  /** Tells every listener of `type`, in subscription order; rethrows the first synchronous failure after all ran. */
  publish<K extends keyof M>(type: K, event: M[K]): void {
    const list = this.#listeners.get(type);
    if (list === undefined) return;
    let failure: { err: unknown } | undefined;
    for (const listener of [...list] as Listener<M[K]>[]) {
      try {
        const done = listener(event);
        if (done instanceof Promise) done.catch((err: unknown) => this.#onError(err, type));
      } catch (err) {
        failure ??= { err };
      }
    }
    if (failure !== undefined) throw failure.err;
  }
}

import { performance } from 'node:perf_hooks';

/**
 * How long requests wait for a connection to one upstream: the queue Gatehouse itself holds. A forward is dispatched
 * into the upstream's pool (connections bounded by `upstreams.<name>.max_connections`) and written when a connection
 * is free; the time between the two is its queue wait. The upstream's own service time is not part of it, so a slow
 * upstream is not mistaken for a queue until every connection is busy and requests pile up behind them.
 *
 * Judged as CoDel judges a queue (Envoy bounds the same queue by count, max_pending_requests): the queue stands when
 * no request got a connection quickly (within the target) for a whole window, and the oldest one waiting has waited
 * past the target. A burst that drains, where the first request of the window got through at once, sheds nothing;
 * a queue that does not go down makes every wait long, and new forwards to this upstream are refused (503) until a
 * request gets through quickly again. With 2,000 clients and 256 upstream connections Gatehouse held every request
 * (its own p99 407 ms in bench `connections`) instead of saying no.
 */
export class UpstreamQueue {
  /** Dispatch times of the requests waiting, oldest first from `#head`. */
  #since: number[] = [];
  #head = 0;
  /** When a request last got a connection within the target. */
  #lastQuick: number;
  #targetMs = Infinity;

  /** `now`: the clock's reading at creation (performance.now(); a test passes its own clock). */
  constructor(now: number = performance.now()) {
    this.#lastQuick = now;
  }

  /** Notes a request handed to the pool; returns its dispatch time, for `started`. */
  dispatched(now: number = performance.now()): number {
    // A queue forming now has had no window to prove slow (a first connection may take a TLS handshake to open).
    if (this.#head >= this.#since.length) this.#lastQuick = Math.max(this.#lastQuick, now);
    this.#since.push(now);
    return now;
  }

  /** Notes that the request dispatched at `at` was written to a connection (or failed before it was written). */
  started(at: number, now: number = performance.now()): void {
    // The pool serves its queue in order, so this is nearly always the oldest.
    const i = this.#since[this.#head] === at ? this.#head : this.#since.indexOf(at, this.#head);
    if (i === this.#head) this.#head++;
    else if (i !== -1) this.#since.splice(i, 1);
    if (this.#head > 1024 && this.#head * 2 > this.#since.length) {
      this.#since = this.#since.slice(this.#head);
      this.#head = 0;
    }
    if (now - at < this.#targetMs) this.#lastQuick = now;
  }

  /**
   * How long the oldest waiting request has waited, in milliseconds, when no request got a connection within
   * `targetMs` for the last `windowMs`; 0 otherwise, and whenever nothing waits (an idle or draining upstream is
   * never refused for a queue that is gone).
   */
  standing(windowMs: number, targetMs: number, now: number = performance.now()): number {
    this.#targetMs = targetMs;
    if (this.#head >= this.#since.length || now - this.#lastQuick < windowMs) return 0;
    return now - this.#since[this.#head]!;
  }

  /** Requests waiting for a connection right now. */
  get waiting(): number {
    return this.#since.length - this.#head;
  }
}

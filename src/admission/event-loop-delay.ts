import { performance } from 'node:perf_hooks';

/** How many probe samples are kept (enough for a window of 300 ms at the 10 ms probe interval). */
const RING = 32;

/**
 * For this long after start the delay is reported as 0: a fresh process compiles its code on its first requests
 * (and a demo's first login renders its first page), which makes the loop slow without any backlog behind it.
 * The in-flight bound applies from the first request.
 */
const WARM_UP_MS = 5_000;

/**
 * How late the event loop runs, read cheaply on every request: the signal admission sheds on.
 *
 * In Node a parsed request is handed to Gatehouse synchronously, in the loop turn that read its bytes, so the only
 * time a request waits before Gatehouse looks at it is the time its bytes sat unread (in the accept queue or the
 * socket buffer) while the loop was busy with something else: the event-loop delay. A probe timer is due every
 * `intervalMs` (10 ms); each time it fires, how late it fired is one sample (what requests read in the same turn
 * waited through), and while it is overdue, how overdue it is counts as one more (the loop is inside a long turn,
 * stalled, or starved of CPU).
 *
 * Admission acts on the *standing* delay (`standing`): what this request waited, but no more than the smallest of
 * the samples of the last `windowMs` (100 ms), that is, the loop has been at least this late for the whole window.
 * As in CoDel, a burst shorter than the window (a GC pause, a scheduler hiccup on a shared machine) sheds nothing; a
 * loop that keeps running late does, within one window; a stall longer than the window sheds what queued behind it,
 * and nothing read once the loop is on time again. `monitorEventLoopDelay`'s histogram is what
 * `@fastify/under-pressure` checks, once per sampling window and for every request until the next one; Envoy's
 * overload manager likewise samples its monitors on a timer. Here a request reads the current figure for the cost
 * of one `performance.now()` and a scan of a dozen numbers. Utilisation (ELU) gates it (see `standing`) but is no
 * reason to refuse by itself: a loop busy all the time with short turns is serving at capacity, not late.
 */
export class EventLoopDelay {
  readonly intervalMs: number;
  #windowMs: number;
  readonly #at = new Float64Array(RING);
  readonly #late = new Float64Array(RING);
  /** The loop's cumulative idle time (ms, from `eventLoopUtilization`) at each sample. */
  readonly #idle = new Float64Array(RING);
  /** Whether the loop was busy at least `busyShare` of the window that ended at the last sample. */
  #busy = false;
  #busyShare: number;
  #startedAt = 0;
  /**
   * Loop turns (counted at their check phase, setImmediate) left in which the last sample stands although the probe
   * is on time: the turn of the sample and the next one. What queued during a stall is read in one of them (a
   * keep-alive socket whose previous answer just finished may start reading a turn later).
   */
  #freshTurns = 0;
  readonly #endTurn = (): void => {
    if (--this.#freshTurns > 0) setImmediate(this.#endTurn);
  };
  #count = 0;
  #head = 0;
  #due = 0;
  /** Largest standing delay seen since the last `takeMax()` (the gauge reports it, then starts over). */
  #max = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #onSample: ((delayMs: number) => void) | undefined;

  #warmUpMs: number;

  constructor(options: { intervalMs?: number; windowMs?: number; busyShare?: number; warmUpMs?: number; onSample?: (delayMs: number) => void } = {}) {
    this.intervalMs = options.intervalMs ?? 10;
    this.#warmUpMs = options.warmUpMs ?? WARM_UP_MS;
    this.#windowMs = 0;
    this.#busyShare = 0.9;
    this.configure({ windowMs: options.windowMs ?? 100, busyShare: options.busyShare ?? 0.9 });
    this.#onSample = options.onSample;
  }

  /** Starts the probe (unref'd: it never keeps the process alive). Idempotent. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#count = 0;
    this.#busy = false;
    this.#startedAt = performance.now();
    this.#due = this.#startedAt + this.intervalMs;
    this.#timer = setTimeout(this.#tick, this.intervalMs);
    this.#timer.unref();
  }

  /** Stops the probe; `standing()` then answers 0. */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#count = 0;
  }

  /** How far back the standing delay looks (server.admission.window; a reload may change it). */
  get windowMs(): number {
    return this.#windowMs;
  }

  /**
   * Sets the window (at most what the kept samples cover: 300 ms at the 10 ms probe interval) and the share of it
   * the loop must have been busy for its delay to count (server.admission.window, .min_utilization).
   */
  configure(options: { windowMs: number; busyShare: number; warmUpMs?: number }): void {
    this.#windowMs = Math.min(options.windowMs, (RING - 2) * this.intervalMs);
    this.#busyShare = options.busyShare;
    if (options.warmUpMs !== undefined) this.#warmUpMs = options.warmUpMs;
  }

  /**
   * The delay in milliseconds a request read at `at` waited, as far as it stands: the smaller of
   *   - this request's wait: how overdue the probe is now, or, in the two loop turns after a sample, that sample
   *     (what is read then queued through the delay it saw), and
   *   - the loop's persistent lateness: the least of the last window's samples (or, when a stall left none in the
   *     window, how overdue the probe is),
   * counted only while the loop was busy (at least `busyShare` of the window; see below). 0 when the probe is not
   * running or started less than the warm-up (server.admission.warm_up, 5 s) or a window ago.
   *
   * Why both: a request that waited behind a one-off spike is not shed (the window remembers the loop on time), and
   * a request read once the loop is on time again is not shed for a stall that is over (its own wait is short).
   * Why busy: a loop that is late because the process waits for a CPU that other processes hold (a shared machine)
   * is idle by libuv's clock (the wait happens inside epoll), and refusing its requests would not make it less late;
   * a loop late because of its own work is busy, and shedding is what relieves it. A CFS quota (a Kubernetes CPU
   * limit) throttles a busy loop in the middle of its work, so throttling counts as busy, as it should.
   */
  standing(at: number = performance.now()): number {
    if (this.#timer === undefined || at - this.#startedAt < Math.max(this.#warmUpMs, this.#windowMs)) return 0;
    const overdue = at - this.#due;
    const newest = (this.#head + RING - 1) % RING;
    const fresh = this.#freshTurns > 0 && this.#count > 0 ? this.#late[newest]! : 0;
    const wait = overdue > fresh ? overdue : fresh;
    if (wait < 1) return 0;
    let persistent = Infinity;
    const since = at - this.#windowMs;
    let oldest = -1;
    for (let n = 0, i = this.#head; n < this.#count; n++) {
      i = (i + RING - 1) % RING;
      if (this.#at[i]! < since) {
        // The sample just before the window opens it (its idle reading is where the window's busy share starts).
        if (oldest < 0) oldest = i;
        break;
      }
      oldest = i;
      const late = this.#late[i]!;
      if (late < persistent) persistent = late;
    }
    if (persistent === Infinity) persistent = overdue > 0 ? overdue : 0;
    const delay = wait < persistent ? wait : persistent;
    if (delay < 1) return 0;
    // Overdue: the last sample's verdict is stale; measure up to now (one ELU read, only while the probe is late).
    const busy = overdue > 0 && oldest >= 0 ? this.#busyShareSince(oldest, at) >= this.#busyShare : this.#busy;
    if (!busy) return 0;
    if (delay > this.#max) this.#max = delay;
    return delay;
  }

  /** The share of the time from sample `i` to `at` the loop was not waiting for I/O. */
  #busyShareSince(i: number, at: number, idleNow: number = performance.eventLoopUtilization().idle): number {
    const span = at - this.#at[i]!;
    return span <= 0 ? 0 : 1 - (idleNow - this.#idle[i]!) / span;
  }

  /** The largest standing delay seen (at a probe or by a request) since the previous call, in milliseconds. */
  takeMax(): number {
    const max = this.#max;
    this.#max = 0;
    return max;
  }

  readonly #tick = (): void => {
    const at = performance.now();
    const idle = performance.eventLoopUtilization().idle;
    const late = at - this.#due > 0 ? at - this.#due : 0;
    // Busy share of the window ending now, from the oldest sample still in it (or the one just before).
    let from = -1;
    for (let n = 0, i = this.#head; n < this.#count; n++) {
      i = (i + RING - 1) % RING;
      from = i;
      if (this.#at[i]! < at - this.#windowMs) break;
    }
    this.#busy = from >= 0 && this.#busyShareSince(from, at, idle) >= this.#busyShare;
    this.#at[this.#head] = at;
    this.#late[this.#head] = late;
    this.#idle[this.#head] = idle;
    this.#head = (this.#head + 1) % RING;
    if (this.#count < RING) this.#count++;
    this.#due = at + this.intervalMs;
    if (this.#freshTurns === 0) setImmediate(this.#endTurn);
    this.#freshTurns = 2;
    this.standing(at);
    this.#onSample?.(late);
    this.#timer?.refresh();
  };
}

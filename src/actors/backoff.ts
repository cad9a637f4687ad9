/** Retry delays for background actors: exponential growth, a cap, and full jitter. */

export interface BackoffOptions {
  /** Delay before the first retry, before jitter (default 100 ms). */
  baseMs?: number;
  /** Largest delay (default 5 s): a store that recovers is noticed within this long. */
  capMs?: number;
  /** Source of randomness in [0, 1); tests pin it. */
  random?: () => number;
}

/**
 * The delay before retry number `attempt` (0 for the first retry): a random value between half and all of
 * min(cap, base * 2^attempt). Half-jitter keeps a floor under the delay, so a busy store is not hammered, while
 * replicas that failed together do not retry in step.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 100;
  const cap = options.capMs ?? 5_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * The session sweeper: every `sessions.sweep_interval` it deletes sessions past their absolute or idle expiry and
 * prunes login-throttle windows that have ended, so neither table grows without bound. Each replica sweeps; the
 * deletes are idempotent, so several replicas sweeping at once only repeat a cheap query. It never throws: a failed
 * sweep is logged and the next one tries again.
 */
import type { Actor } from './actor.js';
import { pollingLoop } from './polling-loop.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';

export interface SessionSweeperOptions {
  store: Pick<Store, 'sessions' | 'loginAttempts'>;
  /** `sessions.sweep_interval` in ms. */
  intervalMs: number;
  /** `auth.throttle.window` in ms: windows older than this are pruned. */
  loginAttemptWindowMs: number;
  logger: Logger;
  /** Other expired rows to delete on the same beat (account tokens, sent mail): each returns how many it removed. */
  extra?: readonly { name: string; run(now: Date): Promise<number> }[];
  /** Epoch ms (default Date.now). */
  clock?: () => number;
}

/** What one sweep removed; -1 where that part failed. */
export interface SweepResult {
  sessions: number;
  loginAttempts: number;
}

export interface SessionSweeper extends Actor {
  /** Runs one sweep now (the timer does this on its own). Never rejects. */
  sweep(): Promise<SweepResult>;
}

/** Builds the sweeper; `start` arms its timer. */
export function createSessionSweeper(options: SessionSweeperOptions): SessionSweeper {
  const { store, intervalMs, loginAttemptWindowMs, logger } = options;
  const clock = options.clock ?? Date.now;
  if (!(intervalMs > 0)) throw new TypeError(`sweep interval must be positive, got ${intervalMs}`);
  let last: SweepResult = { sessions: -1, loginAttempts: -1 };
  const loop = pollingLoop(intervalMs, async () => { last = await sweepOnce(); });
  async function sweepOnce(): Promise<SweepResult> {
    const now = new Date(clock());
    const result: SweepResult = { sessions: -1, loginAttempts: -1 };
    try {
      result.sessions = await store.sessions.deleteExpired(now);
    } catch (err) {
      logger.warn({ err }, 'session sweep failed; will retry at the next interval');
    }
    try {
      result.loginAttempts = await store.loginAttempts.prune(loginAttemptWindowMs, now);
    } catch (err) {
      logger.warn({ err }, 'login-attempt prune failed; will retry at the next interval');
    }
    for (const job of options.extra ?? []) {
      try {
        const n = await job.run(now);
        if (n > 0) logger.info({ removed: n, what: job.name }, 'swept expired rows');
      } catch (err) {
        logger.warn({ err, what: job.name }, 'sweep failed; will retry at the next interval');
      }
    }
    const level = result.sessions > 0 || result.loginAttempts > 0 ? 'info' : 'debug';
    logger[level]({ expiredSessions: result.sessions, loginAttemptWindows: result.loginAttempts }, 'swept expired sessions');
    return result;
  }

  return {
    name: 'session-sweeper',
    // Never two at once: a sweep asked for during one shares it.
    sweep: async () => {
      await (loop.running ?? loop.wake());
      return last;
    },
    start: () => loop.start(),
    stop: (deadlineMs) => loop.stop(deadlineMs),
  };
}

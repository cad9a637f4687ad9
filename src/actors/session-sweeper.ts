/**
 * The session sweeper: every `sessions.sweep_interval` it deletes sessions past their absolute or idle expiry and
 * prunes login-throttle windows that have ended, so neither table grows without bound. Each replica sweeps; the
 * deletes are idempotent, so several replicas sweeping at once only repeat a cheap query. It never throws: a failed
 * sweep is logged and the next one tries again.
 */
import type { Actor } from './actor.js';
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
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<SweepResult> | undefined;
  let stopped = false;

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

  function sweep(): Promise<SweepResult> {
    // Never two at once: a slow sweep is not stacked on by the next tick.
    running ??= sweepOnce().finally(() => { running = undefined; });
    return running;
  }

  return {
    name: 'session-sweeper',
    sweep,
    start() {
      if (timer !== undefined || stopped) return;
      timer = setInterval(() => { if (running === undefined) void sweep(); }, intervalMs);
      timer.unref(); // a sweep alone is no reason to keep the process alive
    },
    async stop(deadlineMs) {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      if (running === undefined) return;
      let t: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise((r) => { t = setTimeout(r, deadlineMs); })]);
      clearTimeout(t);
    },
  };
}

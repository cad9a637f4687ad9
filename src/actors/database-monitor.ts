/**
 * The database's state as this replica sees it, kept apart from readiness on purpose. A replica whose database is
 * away still serves cached sessions and public routes, so it stays in the Service; taking every replica out at
 * once because the shared database went away would turn a partial outage into a total one (docs/operations.md,
 * "Readiness and the database"). The state comes from every store call's outcome (store/observed-store.ts) and from a
 * ping every `storage.health_interval`, so it changes even without traffic. Each change is one log line; the
 * gauge `gatehouse_store_up` and `/readyz?verbose` report it.
 */
import type { Actor } from './actor.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { GatehouseError } from '../errors/index.js';
import type { DatabaseObserver } from '../store/observed-store.js';

/** What `/readyz?verbose` shows about the database. */
export interface DatabaseState {
  /** `unknown` until the first call or ping has answered. */
  readonly state: 'up' | 'down' | 'unknown';
  readonly driver: string;
  /** When the state last changed (ISO 8601). */
  readonly since: string;
  /** Why it is down (the driver's words, no credentials): only while down. */
  readonly reason?: string;
}

export interface DatabaseMonitor extends Actor, DatabaseObserver {
  snapshot(): DatabaseState;
}

export interface DatabaseMonitorOptions {
  driver: string;
  ping(): Promise<void>;
  intervalMs: number;
  metrics: Metrics;
  logger: Logger;
  /** Epoch ms (default Date.now). */
  clock?: () => number;
}

/** Builds the monitor; `start` pings once and arms the timer. */
export function createDatabaseMonitor(options: DatabaseMonitorOptions): DatabaseMonitor {
  const { driver, logger, metrics } = options;
  const clock = options.clock ?? Date.now;
  let state: DatabaseState['state'] = 'unknown';
  let since = clock();
  let reason: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  metrics.storeUp.set(0);

  const change = (next: 'up' | 'down', why?: string): void => {
    if (next === state) {
      if (next === 'down') reason = why;
      return;
    }
    const previous = state;
    const now = clock();
    const lasted = now - since;
    state = next;
    since = now;
    reason = next === 'down' ? why : undefined;
    metrics.storeUp.set(next === 'up' ? 1 : 0);
    if (next === 'down') {
      logger.error({ driver, reason: why, event: 'database_down' },
        'database unreachable: logins and writes answer 503; cached sessions and public routes keep working; readyz stays ready');
    } else if (previous === 'down') {
      logger.info({ driver, downForMs: lasted, event: 'database_up' }, 'database reachable again');
    } else {
      logger.info({ driver, event: 'database_up' }, 'database reachable');
    }
  };

  const ping = async (): Promise<void> => {
    try {
      await options.ping();
      change('up');
    } catch (err) {
      const e = err as GatehouseError;
      // Only an outage marks the database down; a busy database is there (its callers get StoreBusy, 503).
      if (e.code === 'GATE_ERR_STORE_DOWN') change('down', describe(e));
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => { void ping().finally(schedule); }, options.intervalMs);
    timer.unref();
  };

  return {
    name: 'database-monitor',
    async start() {
      await ping();
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
    },
    answered: () => change('up'),
    unreachable: (err) => change('down', describe(err)),
    snapshot: () => ({ state, driver, since: new Date(since).toISOString(), ...(reason === undefined ? {} : { reason }) }),
  };
}

/** The driver's own words, without anything that looks like a credential in a URL. */
function describe(err: GatehouseError): string {
  return (err.detail ?? err.message).replace(/\/\/[^/@\s]*@/g, '//[redacted]@').slice(0, 300);
}

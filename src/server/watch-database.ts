import type { App } from '../app.js';
import type { Logger } from '../log/logger.js';
import { createDatabaseMonitor } from '../store/database-monitor.js';
import { observeStore } from '../store/observed-store.js';
import type { Store } from '../store/store.js';

/**
 * Puts the database monitor in front of a store: the monitor runs as an actor, `/readyz?verbose` reports its
 * state under `database`, and the store every other part receives is the observed one (timed, counted, and
 * reporting each outcome to the monitor).
 */
export function watchDatabase(app: Pick<App, 'metrics' | 'addActor' | 'addReadinessDetail'>, store: Store, intervalMs: number, logger: Logger): Store {
  // The monitor pings through the observed store, so its pings are timed (operation "ping") like any call.
  let observed: Store | undefined;
  const monitor = createDatabaseMonitor({ driver: store.driver, ping: () => (observed ?? store).ping(), intervalMs, metrics: app.metrics, logger });
  observed = observeStore(store, { metrics: app.metrics, observer: monitor });
  app.addActor(monitor);
  app.addReadinessDetail({ name: 'database', read: () => monitor.snapshot() });
  return observed;
}

// A whole Gatehouse in this process, built by the composition root as `serve` builds it, on 127.0.0.1:0,
// in front of real upstream servers, on a real database.
import { stringify } from 'yaml';
import { parseConfigText, type GatehouseConfig } from '../../src/config/index.js';
import { buildApp, type App } from '../../src/app.js';
import type { AccountAdmin } from '../../src/auth/account-admin.js';
import type { AccountsRuntime } from '../../src/accounts/install-accounts.js';
import type { SessionService } from '../../src/sessions/session-service.js';
import type { Store } from '../../src/store/store.js';
import { silentLogger, type Logger } from '../../src/log/logger.js';
import type { TestDatabase } from './drivers.js';
import { RELAXED_ADMISSION, within } from './core-net.js';

export interface FullGatehouse {
  readonly app: App;
  /** The parts of accounts tests reach into. */
  readonly auth: { readonly sessions: SessionService; readonly accounts: AccountAdmin; readonly selfService: AccountsRuntime };
  readonly store: Store;
  readonly config: GatehouseConfig;
  readonly port: number;
  readonly adminPort: number;
  readonly base: string;
  /** Graceful stop (drains actors into the store, closes it). */
  stop(): Promise<void>;
}

/** Deep-merges plain objects (arrays and scalars replace). */
export function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
      ? merge(b as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/**
 * Starts Gatehouse with `routes` over `upstreams` on `db`. Cookies are not Secure here (plain http on 127.0.0.1),
 * the drain delay is 0, and the test may override any key.
 */
export async function startFullGatehouse(db: TestDatabase, upstreams: Record<string, string>, routes: unknown[],
  overrides: Record<string, unknown> = {}, options: { logger?: Logger } = {}): Promise<FullGatehouse> {
  const object = merge({
    server: { listen: '127.0.0.1:0', public_url: 'http://127.0.0.1', drain_delay: '0s', grace_period: '2s', admission: RELAXED_ADMISSION },
    admin: { listen: '127.0.0.1:0' },
    reload: { watch: false },
    upstreams: Object.fromEntries(Object.entries(upstreams).map(([k, url]) => [k, { url }])),
    routes,
    storage: storageAsYaml(db.config),
    auth: { hash: { concurrency: 2, queue: 4 } },
    audit: { flush_interval: '100ms' },
  }, overrides);
  const config = parseConfigText(stringify(object), {});
  const app = await buildApp({ config, logger: options.logger ?? silentLogger(), listen: { ingress: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } } });
  const { ingress, admin } = await within(10_000, 'gatehouse to start', app.start());
  return {
    app, auth: { sessions: app.sessions!, accounts: app.accounts!, selfService: app.selfService! }, store: app.store!, config, port: ingress.port, adminPort: admin.port, base: `http://127.0.0.1:${ingress.port}`,
    stop: () => within(15_000, 'gatehouse to stop', app.stop()),
  };
}

/** A parsed storage config written back as YAML would say it (durations as "Nms": bare numbers mean seconds). */
export function storageAsYaml(config: TestDatabase['config']): Record<string, unknown> {
  return {
    driver: config.driver,
    sqlite: { path: config.sqlite.path, busy_timeout: `${config.sqlite.busy_timeout}ms` },
    postgres: { url: config.postgres.url, pool_max: config.postgres.pool_max, acquire_timeout: `${config.postgres.acquire_timeout}ms`, query_timeout: `${config.postgres.query_timeout}ms` },
    mysql: { url: config.mysql.url, pool_max: config.mysql.pool_max, acquire_timeout: `${config.mysql.acquire_timeout}ms`, query_timeout: `${config.mysql.query_timeout}ms` },
  };
}

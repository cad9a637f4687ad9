import type { App } from '../app.js';
import type { GatehouseConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import { SessionService } from '../sessions/session-service.js';
import { loadTokenKeys } from '../sessions/token-keys.js';
import { sessionCookieOptions } from '../sessions/cookie.js';
import { authenticateChain, type Authenticate } from '../pipeline/3-authenticate/authenticate.js';
import { sessionAuthenticators } from '../pipeline/3-authenticate/session-token.js';
import { createHashPool, type HashPool } from './passwords/hash-pool.js';
import { createAuditWriter } from '../actors/audit-writer.js';
import { createLastSeenDebouncer } from '../actors/last-seen-debouncer.js';
import { createSessionSweeper } from '../actors/session-sweeper.js';
import { createChangeFeed } from '../actors/change-feed.js';
import { createSqlitePresence } from '../actors/sqlite-presence.js';
import { CsrfGuard } from './csrf.js';
import { AccountAdmin } from './account-admin.js';
import { LoginThrottle } from './login-throttle.js';
import type { AuditRecorder, AuthDeps } from './auth-deps.js';
import { loginPageEndpoint } from './local/login-page.js';
import { loginEndpoint } from './local/login-endpoint.js';
import { logoutEndpoint, logoutPageEndpoint } from './local/logout-endpoint.js';
import { registerEndpoint } from './local/register-endpoint.js';
import { meEndpoint } from './local/me-endpoint.js';
import { installOAuth } from './oauth/install-oauth.js';
import { providerButtons } from './oauth/provider-registry.js';
import { installApi } from '../api/install-api.js';
import { orgLoader } from '../api/org-loader.js';
import { watchDatabase } from '../server/watch-database.js';

/** The parts of accounts and sessions other concerns (OAuth, the SSO API) build on. */
export interface AuthRuntime {
  readonly deps: AuthDeps;
  readonly sessions: SessionService;
  readonly hashPool: HashPool;
  readonly audit: AuditRecorder;
  readonly accounts: AccountAdmin;
  /** The authenticate stage the ingress runs (bearer, then cookie), for endpoints that need the caller. */
  readonly authenticate: Authenticate;
}

/**
 * Wires local accounts and sessions into an app: the store-backed session service as the identity resolver, the
 * hash pool, the audit writer, the last-seen debouncer and the sweeper as actors, and the /.gatehouse/ endpoints.
 * The store is closed last, after every actor has drained into it.
 */
export async function installAuth(app: App, config: GatehouseConfig, rawStore: Store, logger: Logger): Promise<AuthRuntime> {
  const { metrics } = app;
  app.addActor({ name: 'store', start: () => undefined, stop: () => rawStore.close() });
  // The database's state is reported, not a readiness check (src/server/readiness.ts says why).
  const store = watchDatabase(app, rawStore, config.storage.health_interval, logger);

  const audit = createAuditWriter({ store, config: config.audit, metrics, logger });
  const lastSeen = createLastSeenDebouncer({
    store, intervalMs: config.sessions.last_seen_interval, idleTimeoutMs: config.sessions.idle_timeout, metrics, logger,
  });
  const sweeper = createSessionSweeper({
    store, intervalMs: config.sessions.sweep_interval, loginAttemptWindowMs: config.auth.throttle.window, logger,
  });
  app.addActor(audit);
  app.addActor(lastSeen);
  app.addActor(sweeper);

  const keys = await loadTokenKeys(config.sessions, store.settings);
  const sessions = new SessionService({
    store, config: config.sessions, keys, metrics, logger,
    onActivity: (userId, sessionId, now) => lastSeen.touch(userId, sessionId, now),
    loadOrgs: orgLoader(store),
  });
  app.addActor(createChangeFeed({
    store, metrics, logger,
    cache: {
      forgetSession: (id) => sessions.forget(id),
      evictUser: (userId) => sessions.evictUser(userId),
      clear: () => sessions.cache.clear(),
    },
    pollIntervalMs: config.storage.change_poll_interval,
    retentionMs: config.storage.change_retention,
  }));
  if (config.storage.driver === 'sqlite') app.addActor(createSqlitePresence(config.storage.sqlite.path, logger));
  const cookie = sessionCookieOptions(config.sessions);
  const cookieName = config.sessions.cookie.name;
  const { bearer, cookie: cookieAuth } = sessionAuthenticators(sessions, cookieName);
  app.setAuthenticators([bearer, cookieAuth]);
  const authenticate = authenticateChain([bearer, cookieAuth]);

  const hashPool = createHashPool({ config: config.auth.hash, metrics, logger });
  const deps: AuthDeps = {
    config, store, sessions, hasher: hashPool, audit, metrics, logger, cookieName, cookie,
    throttle: new LoginThrottle(store.loginAttempts, config.auth.throttle),
    csrf: new CsrfGuard({ secure: cookie.secure, publicUrl: config.server.public_url }),
    providers: providerButtons(config.auth.providers),
  };
  app.endpoints
    .add('GET', '/.gatehouse/login', loginPageEndpoint(deps))
    .add('POST', '/.gatehouse/login', loginEndpoint(deps))
    .add('POST', '/.gatehouse/register', registerEndpoint(deps))
    .add('GET', '/.gatehouse/logout', logoutPageEndpoint(deps))
    .add('POST', '/.gatehouse/logout', logoutEndpoint(deps))
    .add('GET', '/.gatehouse/me', meEndpoint(async (req) => authenticate(req.headers)));
  await installOAuth(app, deps);
  const runtime: AuthRuntime = { deps, sessions, hashPool, audit, accounts: new AccountAdmin(store, sessions, audit), authenticate };
  installApi(app, config, store, logger, runtime);
  return runtime;
}

import type { Actor } from './actors/actor.js';
import { auditDomainEvents } from './actors/audit-events.js';
import { createAuditWriter } from './actors/audit-writer.js';
import { createChangeFeed } from './actors/change-feed.js';
import { createLastSeenDebouncer } from './actors/last-seen-debouncer.js';
import { createSessionSweeper } from './actors/session-sweeper.js';
import { createSqlitePresence } from './actors/sqlite-presence.js';
import { installApi } from './api/install-api.js';
import { AccountAdmin } from './auth/account-admin.js';
import { installAccounts, prepareSelfService, type AccountsRuntime } from './accounts/install-accounts.js';
import { createAuthDeps } from './auth/auth-deps.js';
import { installLocalLogin, LOGIN_PATH } from './auth/install-auth.js';
import { installOAuth } from './auth/oauth/install-oauth.js';
import { createHashPool } from './auth/passwords/hash-pool.js';
import type { GatehouseConfig } from './config/index.js';
import { createDomainEvents, type DomainEventBus } from './events/domain-events.js';
import type { Logger } from './log/logger.js';
import { createMetrics } from './metrics/metrics.js';
import { packageVersion } from './metrics/build-info.js';
import { createTracing } from './tracing/tracing.js';
import { authenticateChain, recogniseChain, type Authenticator } from './pipeline/3-authenticate/authenticate.js';
import { sessionAuthenticators } from './pipeline/3-authenticate/session-token.js';
import { createAuthorize } from './pipeline/4-authorize/decide.js';
import { createMutate, identityHeadersMutator } from './pipeline/5-mutate/mutate.js';
import { signedAssertionMutator } from './pipeline/5-mutate/signed-assertion.js';
import { createSigningKeyRefresher } from './actors/signing-key-refresher.js';
import { AssertionSigner } from './signing/assertion.js';
import { jwksEndpoint, JWKS_PATH } from './signing/jwks-endpoint.js';
import { SigningKeyRing } from './signing/key-ring.js';
import type { ReadinessCheck, ReadinessDetail } from './server/admin.js';
import { createDatabaseMonitor } from './actors/database-monitor.js';
import { observeStore, storeSpans } from './store/observed-store.js';
import { registerPlaceholderLogin } from './server/default-endpoints.js';
import { EndpointRouter } from './http/endpoint-router.js';
import { createInstance, type Instance, type InstanceOptions } from './server/instance.js';
import { evictOnMembershipChange } from './sessions/evict-on-change.js';
import { orgLoader } from './sessions/org-loader.js';
import { SessionService } from './sessions/session-service.js';
import { loadTokenKeys } from './sessions/token-keys.js';
import { openStore } from './store/index.js';
import type { Store } from './store/store.js';

/** How to build an instance: its validated config, where it came from (for reloads), and the process's edges. */
export interface AppOptions {
  config: GatehouseConfig;
  /** The file the config came from; reloads re-read it. Omit to disable reloads. */
  configPath?: string;
  /** The SHA-256 of that file as it was loaded (`gatehouse_config_info`). */
  configSha256?: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Overrides the listen addresses (tests pass port 0). */
  listen?: InstanceOptions['listen'];
  /**
   * The store: by default opened from `storage`. `'none'` builds the core alone (routes, proxy, admin listener;
   * no accounts, everyone anonymous): what the proxy and routing tests run.
   */
  store?: Store | 'none';
  /** Authenticators for the core alone (tests' stand-ins); with a store the session ones are used. */
  authenticators?: readonly Authenticator[];
}

/** One Gatehouse: the instance, and the parts of accounts tests and the CLI reach into (absent for the core alone). */
export interface App extends Instance {
  readonly events: DomainEventBus;
  readonly store: Store | undefined;
  readonly sessions: SessionService | undefined;
  readonly accounts: AccountAdmin | undefined;
  /** Verification, reset, second factors, the account pages (src/accounts). */
  readonly selfService: AccountsRuntime | undefined;
  /** The keys that sign identity assertions (absent for the core alone). */
  readonly signingKeys: SigningKeyRing | undefined;
}

/**
 * The composition root: builds every part of one Gatehouse instance from its config, in the order below, and hands
 * them to the instance (server/instance.ts), which owns the listeners and the start and stop order. `serve`,
 * `demo` and the test helpers all build through here. The parts do not know each other: each gets what it needs
 * passed in, and reacts to the others only through the domain events.
 */
export async function buildApp(options: AppOptions): Promise<App> {
  const { config, logger } = options;

  // 1. What every part shares: the metrics registry, the domain event bus, Gatehouse's own endpoints.
  const metrics = createMetrics();
  metrics.tracing = await createTracing(config.tracing, { logger, version: packageVersion() });
  const events = createDomainEvents(logger);
  const endpoints = new EndpointRouter();
  registerPlaceholderLogin(endpoints); // replaced by the real login page when accounts exist
  const actors: Actor[] = [];
  const checks: ReadinessCheck[] = [];
  const details: ReadinessDetail[] = [];
  let authenticators: readonly Authenticator[] = options.authenticators ?? [];
  let signInUrl = (rd: string): string => `${LOGIN_PATH}?rd=${encodeURIComponent(rd)}`;
  // The configuration in force (a reload may change the route hosts that sign-in redirects may name).
  let running = (): GatehouseConfig => config;
  let accounts: { store: Store; sessions: SessionService; admin: AccountAdmin; selfService: AccountsRuntime } | undefined;
  let signer: AssertionSigner | undefined;
  let signingKeys: SigningKeyRing | undefined;

  // Stopped last of all (actors stop in reverse order): the spans of every other part's drain are exported too.
  if (metrics.tracing.enabled) actors.push({ name: 'tracing', start: () => undefined, stop: () => metrics.tracing.shutdown() });

  const opened = options.store === 'none' ? undefined : options.store ?? await openStore(config.storage, { logger });
  if (opened !== undefined) {
    // 2. Storage: stopped last (actors stop in reverse order), after every other actor has drained into it. Every
    // part gets the observed store (calls timed, outcomes reported to the database monitor). The database's state
    // is a /readyz?verbose detail, not a readiness check (src/server/readiness.ts says why).
    actors.push({ name: 'store', start: () => undefined, stop: () => opened.close() });
    let observed: Store | undefined;
    const monitor = createDatabaseMonitor({
      driver: opened.driver, ping: () => (observed ?? opened).ping(), intervalMs: config.storage.health_interval, metrics, logger,
    });
    const store = observed = observeStore(opened, { metrics, observer: monitor, hooks: storeSpans(metrics.tracing) });
    actors.push(monitor);
    details.push({ name: 'database', read: () => monitor.snapshot() });

    // 3. The audit trail: one bounded queue and one writer; it records the domain events too.
    const audit = createAuditWriter({ store, config: config.audit, metrics, logger });
    actors.push(audit);
    auditDomainEvents(events, audit);

    // 4. Sessions: the service and its cache, last-seen writes, the sweeper, the change feed from other replicas.
    const lastSeen = createLastSeenDebouncer({
      store, intervalMs: config.sessions.last_seen_interval, idleTimeoutMs: config.sessions.idle_timeout, metrics, logger,
    });
    const sweeper = createSessionSweeper({
      store, intervalMs: config.sessions.sweep_interval, logger,
      // Reset and verification request counters share the login-attempt table: prune only windows every user has closed.
      loginAttemptWindowMs: Math.max(config.auth.throttle.window, config.accounts.password_reset.window),
      extra: [
        { name: 'account tokens', run: (now) => store.accountTokens.deleteExpired(now) },
        { name: 'sent mail', run: (now) => store.mailOutbox.deleteFinishedBefore(new Date(now.getTime() - config.mail.outbox.retention)) },
      ],
    });
    actors.push(lastSeen, sweeper);
    const sessions = new SessionService({
      store, config: config.sessions, keys: await loadTokenKeys(config.sessions, store.settings), metrics, logger,
      onActivity: (userId, sessionId, now) => lastSeen.touch(userId, sessionId, now),
      loadOrgs: orgLoader(store),
    });
    evictOnMembershipChange(events, sessions);
    actors.push(createChangeFeed({
      store, metrics, logger,
      cache: { forgetSession: (id) => sessions.forget(id), evictUser: (id) => sessions.evictUser(id), clear: () => sessions.cache.clear() },
      pollIntervalMs: config.storage.change_poll_interval,
      retentionMs: config.storage.change_retention,
    }));
    if (config.storage.driver === 'sqlite') actors.push(createSqlitePresence(config.storage.sqlite.path, logger));

    // 5. The authenticate stage: a session token as a bearer credential, then the session cookie.
    const { bearer, cookie } = sessionAuthenticators(sessions, config.sessions.cookie.name);
    authenticators = [bearer, cookie];
    const authenticate = authenticateChain(authenticators);

    // 6. Logins: the Argon2 pool, local accounts, OAuth providers (a default provider becomes where sign-in starts);
    //    what accounts bring beyond a password (mail and its sender, sealed secrets, pages, second factors).
    const selfService = await prepareSelfService(config, store, logger, metrics);
    actors.push(...selfService.actors);
    const hasher = createHashPool({ config: config.auth.hash, metrics, logger });
    actors.push({ name: 'hash-pool', start: () => undefined, stop: () => hasher.close() });
    const auth = createAuthDeps({ config, running: () => running(), store, sessions, hasher, audit, events, metrics, logger, selfService });
    installLocalLogin(endpoints, auth, authenticate);
    const accountFlows = installAccounts(endpoints, auth);
    const oauth = await installOAuth(endpoints, auth);
    if (oauth !== undefined) {
      actors.push(oauth.actor);
      if (oauth.signInUrl !== undefined) signInUrl = oauth.signInUrl;
    }

    // 7. The signed identity (issue 17): keys shared through the store (sealed by the accounts key), re-read by the
    //    refresher, published at /.gatehouse/jwks.json; the signer caches assertions per (session, audience). A
    //    first read that fails does not stop the start: routes that need the assertion answer 503 until one works.
    const ring = signingKeys = new SigningKeyRing({ keys: store.signingKeys, box: selfService.box, config: config.signed_identity, logger });
    const refresher = createSigningKeyRefresher({ ring, intervalMs: config.signed_identity.keys.refresh_interval, logger, metrics });
    await refresher.refresh();
    actors.push(refresher);
    endpoints.add('GET', JWKS_PATH, jwksEndpoint(ring, config.signed_identity.keys.jwks_max_age));
    signer = new AssertionSigner({ activeKey: () => ring.active(), issuer: config.server.public_url, onSigned: () => metrics.assertionsSigned.inc() });

    // 8. The SSO API and its webhook deliverer.
    const admin = new AccountAdmin(store, sessions, events);
    const api = installApi(endpoints, {
      config, store, logger, metrics, events, audit, accounts: admin, sessions, csrf: auth.csrf, authenticate,
      mail: selfService.mail,
    });
    actors.push(api.deliverer);
    accounts = { store, sessions, admin, selfService: accountFlows };
  }

  // 9. The pipeline's stages for every transport, then the instance: listeners, route table, start and stop order.
  const instance = createInstance({
    config, logger, metrics, endpoints, actors, checks, details,
    ...(options.configPath === undefined ? {} : { configPath: options.configPath }),
    ...(options.configSha256 === undefined ? {} : { configSha256: options.configSha256 }),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.listen === undefined ? {} : { listen: options.listen }),
    stages: {
      authenticate: authenticateChain(authenticators), recognise: recogniseChain(authenticators), authorize: createAuthorize(signInUrl),
      mutate: createMutate([identityHeadersMutator(), signedAssertionMutator(signer)]), signInUrl,
    },
  });
  running = () => instance.current().config;
  return Object.assign(instance, {
    events, store: accounts?.store, sessions: accounts?.sessions, accounts: accounts?.admin, selfService: accounts?.selfService,
    signingKeys,
  });
}

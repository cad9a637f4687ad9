import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { packageVersion } from './build-info.js';
import { TRACING_OFF, type Tracing } from '../tracing/tracing.js';

/** A connection pool's state as the pool gauges read it on each scrape. */
export interface PoolGaugeSource {
  (): { max: number; open: number; inUse: number; waiting: number } | undefined;
}

/**
 * Every metric Gatehouse exports, defined in one place. Each app instance gets its own Registry (no global), so a
 * test can build two apps in one process. Labels stay bounded: route and upstream names from the config, methods
 * folded to a fixed set, status codes, and fixed reason words; never raw paths or user input.
 */
export function createMetrics() {
  // The tracer travels with the registry: both are the instrumentation every part already receives. Off until the
  // composition root replaces it (src/app.ts), read at each use, never captured.
  let tracing: Tracing = TRACING_OFF;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client names three gauges *_total, which Prometheus reserves for counters (promtool check metrics fails).
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
  const registers = [registry];
  let poolSource: PoolGaugeSource | undefined;
  let inFlightSource: () => number = () => 0;
  let loopSource: { takeMax(): number } | undefined;
  let lastUtilization = performance.eventLoopUtilization();
  const poolGauge = (name: string, help: string, pick: (s: NonNullable<ReturnType<PoolGaugeSource>>) => number) => new Gauge({
    name, help, registers,
    collect() {
      const stats = poolSource?.();
      if (stats !== undefined) this.set(pick(stats));
    },
  });
  const buildInfo = new Gauge({
    name: 'gatehouse_build_info', help: 'Always 1; the labels say which Gatehouse (package version) runs on which Node.js.',
    labelNames: ['version', 'node'] as const, registers,
  });
  buildInfo.set({ version: packageVersion(), node: process.version }, 1);

  return {
    get tracing(): Tracing {
      return tracing;
    },
    set tracing(value: Tracing) {
      tracing = value;
    },
    registry,
    /** Where the pool gauges read their values (the store, once it is open). */
    watchPool(source: PoolGaugeSource | undefined): void {
      poolSource = source;
    },
    /** Where `gatehouse_in_flight_requests` reads its value on a scrape (the admission stage's count). */
    watchInFlight(source: () => number): void {
      inFlightSource = source;
    },
    /** Where `gatehouse_event_loop_delay_max_seconds` reads the largest delay since the previous scrape. */
    watchEventLoop(source: { takeMax(): number } | undefined): void {
      loopSource = source;
    },
    buildInfo,
    httpRequests: new Counter({
      name: 'gatehouse_http_requests_total', help: 'Requests answered by the ingress listener, by route, method and status code.',
      labelNames: ['route', 'method', 'code'] as const, registers,
    }),
    httpDuration: new Histogram({
      name: 'gatehouse_http_request_duration_seconds', help: 'Time from request start to response end, by route.',
      labelNames: ['route'] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    upstreamErrors: new Counter({
      name: 'gatehouse_upstream_errors_total', help: 'Failed forwards, by upstream and reason (refused, timeout, reset, error).',
      labelNames: ['upstream', 'reason'] as const, registers,
    }),
    configReloads: new Counter({
      name: 'gatehouse_config_reloads_total', help: 'Configuration reloads, by result (success; failure: the file is invalid; restart_required: it changes settings bound at start).',
      labelNames: ['result'] as const, registers,
    }),
    configLastReloadSuccess: new Gauge({
      name: 'gatehouse_config_last_reload_success', help: '1 when the last reload was applied (or none was tried since start), 0 when it was refused.', registers,
    }),
    configLastReloadSuccessTime: new Gauge({
      name: 'gatehouse_config_last_reload_success_timestamp_seconds', help: 'When the configuration in force was loaded (start or last applied reload), Unix seconds.', registers,
    }),
    configInfo: new Gauge({
      name: 'gatehouse_config_info', help: 'Always 1; sha256 is the SHA-256 of the configuration file in force.',
      labelNames: ['sha256'] as const, registers,
    }),
    // Read on a scrape, not set per request: the hot path only moves a number.
    inFlight: new Gauge({
      name: 'gatehouse_in_flight_requests', help: 'Requests in flight on the ingress listener.', registers,
      collect() {
        this.set(inFlightSource());
      },
    }),
    loadShed: new Counter({
      name: 'gatehouse_load_shed_total', help: 'Requests refused with 503 to protect the process, by reason (in_flight, event_loop_delay, upstream_queue) and class (public, session, anonymous, gatehouse).',
      labelNames: ['reason', 'class'] as const, registers,
    }),
    eventLoopDelay: new Histogram({
      name: 'gatehouse_event_loop_delay_seconds', help: 'How late the admission probe timer fired (every 10 ms): the event-loop delay admission sheds on.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56], registers,
    }),
    eventLoopDelayMax: new Gauge({
      name: 'gatehouse_event_loop_delay_max_seconds', help: 'The largest event-loop delay admission saw since the previous scrape (probe or request).',
      registers,
      collect() {
        if (loopSource !== undefined) this.set(loopSource.takeMax() / 1000);
      },
    }),
    eventLoopUtilization: new Gauge({
      name: 'gatehouse_event_loop_utilization', help: 'Share of time the event loop was busy (not waiting for I/O) since the previous scrape, 0 to 1.',
      registers,
      collect() {
        const now = performance.eventLoopUtilization();
        this.set(performance.eventLoopUtilization(now, lastUtilization).utilization);
        lastUtilization = now;
      },
    }),
    connectionsOpen: new Gauge({ name: 'gatehouse_connections_open', help: 'Client connections open on the ingress listener.', registers }),
    connectionsClosed: new Counter({
      name: 'gatehouse_connections_closed_total',
      help: 'Client connections Gatehouse closed itself, by reason (max_connections: refused at accept; timeout: headers or request too slow, 408; shed: after a shed answer).',
      labelNames: ['reason'] as const, registers,
    }),
    ready: new Gauge({
      name: 'gatehouse_ready', help: '1 when the instance is ready for traffic (what /readyz answers), 0 when starting or draining.',
      registers,
    }),
    // ---- store (store/observed-store, store/database-monitor) ----
    storeUp: new Gauge({
      name: 'gatehouse_store_up', help: '1 while the database answers, 0 while it is unreachable (or not yet checked); readiness does not follow it.',
      registers,
    }),
    storeOperationDuration: new Histogram({
      name: 'gatehouse_store_operation_duration_seconds', help: 'Time one store call took, by operation (repository.method, transaction, ping), failures included.',
      labelNames: ['operation'] as const, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    storeErrors: new Counter({
      name: 'gatehouse_store_errors_total', help: 'Failed store calls, by kind (down: the database is not there; busy: contended; other).',
      labelNames: ['kind'] as const, registers,
    }),
    storePoolMax: poolGauge('gatehouse_store_pool_max', 'Most connections the pool opens (storage.<driver>.pool_max); PostgreSQL and MySQL only.', (s) => s.max),
    storePoolOpen: poolGauge('gatehouse_store_pool_open', 'Connections the pool holds open, idle or in use.', (s) => s.open),
    storePoolInUse: poolGauge('gatehouse_store_pool_in_use', 'Connections in use by a store call.', (s) => s.inUse),
    storePoolWaiting: poolGauge('gatehouse_store_pool_waiting', 'Store calls waiting for a free connection.', (s) => s.waiting),
    // ---- hash pool (auth/passwords) ----
    hashPoolSize: new Gauge({ name: 'gatehouse_hash_pool_size', help: 'Password hashing permits (auth.hash.concurrency).', registers }),
    hashPoolInUse: new Gauge({ name: 'gatehouse_hash_pool_in_use', help: 'Password hashing permits in use.', registers }),
    hashPoolQueueDepth: new Gauge({ name: 'gatehouse_hash_pool_queue_depth', help: 'Password operations waiting for a permit.', registers }),
    hashPoolSaturation: new Gauge({ name: 'gatehouse_hash_pool_saturation', help: 'Permits in use divided by pool size (1 = saturated).', registers }),
    hashPoolRejected: new Counter({ name: 'gatehouse_hash_pool_rejected_total', help: 'Password operations refused at once because no permit and no queue place was free (429).', registers }),
    hashDuration: new Histogram({
      name: 'gatehouse_hash_duration_seconds', help: 'Time one Argon2 hash or verify took on the thread pool (excluding the wait for a permit).',
      labelNames: ['operation'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers,
    }),
    // ---- mail sender (actors/mail-sender) ----
    mailQueueDepth: new Gauge({ name: 'gatehouse_mail_queue_depth', help: 'Messages waiting in the mail outbox (pending or being sent).', registers }),
    mailSent: new Counter({
      name: 'gatehouse_mail_messages_total', help: 'Mail send attempts, by result (sent, retry, failed).',
      labelNames: ['result'] as const, registers,
    }),
    mailSendDuration: new Histogram({
      name: 'gatehouse_mail_send_duration_seconds', help: 'Time one message took to render and hand to the mail server.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers,
    }),
    // ---- audit writer (actors/audit-writer) ----
    auditQueueDepth: new Gauge({ name: 'gatehouse_audit_queue_depth', help: 'Audit events waiting to be written.', registers }),
    auditQueueCapacity: new Gauge({ name: 'gatehouse_audit_queue_capacity', help: 'Most audit events the queue holds (audit.queue_size).', registers }),
    auditWritten: new Counter({ name: 'gatehouse_audit_events_written_total', help: 'Audit events written to the store.', registers }),
    auditDropped: new Counter({ name: 'gatehouse_audit_events_dropped_total', help: 'Audit events dropped because the queue was full (audit.overflow: drop).', registers }),
    auditFlushDuration: new Histogram({
      name: 'gatehouse_audit_flush_duration_seconds', help: 'Time one audit batch took to write, by result.',
      labelNames: ['result'] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3], registers,
    }),
    // ---- sessions ----
    sessionCacheHits: new Counter({ name: 'gatehouse_session_cache_hits_total', help: 'Session validations answered from the LRU cache.', registers }),
    sessionCacheMisses: new Counter({ name: 'gatehouse_session_cache_misses_total', help: 'Session validations that read the store.', registers }),
    sessionCacheEntries: new Gauge({ name: 'gatehouse_session_cache_entries', help: 'Sessions held in the LRU cache.', registers }),
    assertionsSigned: new Counter({ name: 'gatehouse_identity_assertions_signed_total', help: 'Identity assertions signed (cache misses of the per-session, per-audience assertion cache).', registers }),
    signingKeyUsable: new Gauge({ name: 'gatehouse_signing_key_usable', help: '1 while this replica has a signing key it can vouch for; 0 when routes with signed_identity answer 503.', registers }),
    signingKeyReadFailures: new Counter({ name: 'gatehouse_signing_key_read_failures_total', help: 'Failed reads of the signing keys (store or encryption key).', registers }),
    sessionTokensRejected: new Counter({
      name: 'gatehouse_session_tokens_rejected_total', help: 'Presented session tokens refused, by reason (malformed, bad_mac, unknown, expired, revoked, disabled).',
      labelNames: ['reason'] as const, registers,
    }),
    // ---- last-seen debouncer (actors/last-seen-debouncer) ----
    lastSeenWrites: new Counter({ name: 'gatehouse_last_seen_writes_total', help: 'Last-seen updates written to the store (at most one per user and session per interval).', registers }),
    lastSeenSkipped: new Counter({ name: 'gatehouse_last_seen_skipped_total', help: 'Activity not written because the same user or session was written within the interval.', registers }),
    // ---- change feed (actors/change-feed) ----
    changesApplied: new Counter({
      name: 'gatehouse_change_feed_applied_total', help: 'Changes from other replicas (and the CLI) applied to the session cache, by kind.',
      labelNames: ['kind'] as const, registers,
    }),
    changeFeedErrors: new Counter({ name: 'gatehouse_change_feed_errors_total', help: 'Failed reads of the change feed (the database was unreachable).', registers }),
    changeFeedCacheClears: new Counter({
      name: 'gatehouse_change_feed_cache_clears_total', help: 'Whole session cache dropped because changes may have been missed, by reason.',
      labelNames: ['reason'] as const, registers,
    }),
    // ---- logins ----
    loginAttempts: new Counter({
      name: 'gatehouse_login_attempts_total', help: 'Login attempts by method (password, oauth), provider and result.',
      labelNames: ['method', 'provider', 'result'] as const, registers,
    }),
    loginThrottleErrors: new Counter({
      name: 'gatehouse_login_throttle_errors_total',
      help: 'Failed reads or writes of the login throttle counters (the attempt was answered 503, never 500; a failed clear after a good password is only logged).',
      registers,
    }),
    // ---- webhook deliverer (actors/webhook-deliverer) ----
    webhookQueueDepth: new Gauge({ name: 'gatehouse_webhook_queue_depth', help: 'Webhook deliveries not yet finished (pending or being sent), as of the last poll.', registers }),
    webhookDeliveries: new Counter({
      name: 'gatehouse_webhook_deliveries_total', help: 'Webhook delivery attempts by result (delivered, retry, failed, refused, skipped).',
      labelNames: ['result'] as const, registers,
    }),
    webhookDeliveryDuration: new Histogram({
      name: 'gatehouse_webhook_delivery_duration_seconds', help: 'Time one webhook delivery attempt took, failures included.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
    }),
    // ---- OAuth / OpenID Connect providers (auth/oauth) ----
    oauthProviderDuration: new Histogram({
      name: 'gatehouse_oauth_provider_request_duration_seconds',
      help: 'Time calls to identity providers took, by provider id and endpoint (discovery, jwks, token, userinfo, user, emails), failures included.',
      labelNames: ['provider', 'endpoint'] as const, buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Folds any request method into a bounded label value. */
export function methodLabel(method: string | undefined): string {
  return method !== undefined && KNOWN_METHODS.has(method) ? method : 'OTHER';
}

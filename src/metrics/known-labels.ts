import type { Metrics } from './metrics.js';

/**
 * The values each labelled counter can take, in one place, so every series exists at 0 from the first scrape:
 * `increase()` and `rate()` see the first failure as an increase (not as a series appearing), and a dashboard or an
 * alert written for a label value finds it on a fresh pod. test/metrics/known-labels.test.ts checks the code uses
 * no other value (and, at compile time, that each list covers its type in the code that increments it).
 * Left out on purpose: `gatehouse_http_requests_total{route,method,code}` (status codes are an open set; the route
 * label alone would be a guess) and histograms (they appear with their first observation).
 */
export const KNOWN_LABELS = {
  /** gatehouse_upstream_errors_total{reason}, per configured upstream (proxy/upstream-error.ts UpstreamFailure). */
  upstreamErrorReasons: ['refused', 'timeout', 'connect_timeout', 'reset', 'error'],
  /** gatehouse_load_shed_total{reason,class} (pipeline/1-admit ShedReason). */
  loadShedReasons: ['in_flight', 'event_loop_delay', 'upstream_queue'],
  /** gatehouse_load_shed_total{reason,class} (pipeline/1-admit RequestClass). */
  loadShedClasses: ['public', 'session', 'anonymous', 'gatehouse'],
  /** gatehouse_connections_closed_total{reason} (server/instance.ts ConnectionCloseReason). */
  connectionCloseReasons: ['max_connections', 'timeout', 'shed'],
  /** gatehouse_session_tokens_rejected_total{reason} (sessions/token.ts, sessions/session-service.ts). */
  tokenRejections: ['malformed', 'bad_mac', 'unknown', 'expired', 'revoked', 'disabled'],
  /** gatehouse_change_feed_applied_total{kind} (store ChangeKind). */
  changeKinds: ['session', 'user', 'org'],
  /** gatehouse_change_feed_cache_clears_total{reason} (actors/change-feed.ts). */
  cacheClearReasons: ['start_without_feed', 'fell_behind_retention', 'listener_reconnected'],
  /** gatehouse_login_attempts_total{method="password",provider="local",result}. */
  passwordLoginResults: ['success', 'failure', 'throttled'],
  /** gatehouse_login_attempts_total{method="oauth",provider=<id>,result}, per configured provider. */
  oauthLoginResults: ['success', 'failure', 'denied', 'error'],
  /** gatehouse_webhook_deliveries_total{result} (actors/webhook-deliverer.ts). */
  webhookResults: ['delivered', 'retry', 'failed', 'refused', 'skipped'],
  /** gatehouse_config_reloads_total{result} (server/config-reloader.ts). */
  configReloadResults: ['success', 'failure', 'restart_required'],
  /** gatehouse_store_errors_total{kind} (store/observed-store.ts). */
  storeErrorKinds: ['down', 'busy', 'other'],
} as const;

/** Creates every known series of every labelled counter at 0 (idempotent: an existing series keeps its count). */
export function initialiseCounters(metrics: Metrics, names: { upstreams: readonly string[]; oauthProviders: readonly string[] }): void {
  const zero = <L extends string>(counter: { inc(labels: Partial<Record<L, string>>, value: number): void }, labels: Partial<Record<L, string>>): void => {
    counter.inc(labels, 0);
  };
  for (const upstream of names.upstreams) {
    for (const reason of KNOWN_LABELS.upstreamErrorReasons) zero(metrics.upstreamErrors, { upstream, reason });
  }
  for (const reason of KNOWN_LABELS.loadShedReasons) {
    for (const cls of KNOWN_LABELS.loadShedClasses) zero(metrics.loadShed, { reason, class: cls });
  }
  for (const reason of KNOWN_LABELS.connectionCloseReasons) zero(metrics.connectionsClosed, { reason });
  for (const reason of KNOWN_LABELS.tokenRejections) zero(metrics.sessionTokensRejected, { reason });
  for (const kind of KNOWN_LABELS.changeKinds) zero(metrics.changesApplied, { kind });
  for (const reason of KNOWN_LABELS.cacheClearReasons) zero(metrics.changeFeedCacheClears, { reason });
  for (const result of KNOWN_LABELS.passwordLoginResults) zero(metrics.loginAttempts, { method: 'password', provider: 'local', result });
  for (const provider of names.oauthProviders) {
    for (const result of KNOWN_LABELS.oauthLoginResults) zero(metrics.loginAttempts, { method: 'oauth', provider, result });
  }
  for (const result of KNOWN_LABELS.webhookResults) zero(metrics.webhookDeliveries, { result });
  for (const result of KNOWN_LABELS.configReloadResults) zero(metrics.configReloads, { result });
  for (const kind of KNOWN_LABELS.storeErrorKinds) zero(metrics.storeErrors, { kind });
}

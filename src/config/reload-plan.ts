import type { GatehouseConfig } from './schema.js';
import { formatPath } from './interpolate.js';

/**
 * The settings a reload applies to the running process, each read per request or per use from the current
 * runtime table (or applied by the reload itself): the route table with its policies, upstreams and their timeouts
 * and pool limits, the trusted proxies, the identity header prefix, admission (the in-flight limit, the lateness
 * targets, the connection bound and the client timeouts), the shutdown timings, and the log level and access log. Everything else is bound when the process starts (listeners, storage, sessions and their keys,
 * auth providers, audit, webhooks, the watcher itself) and needs a restart.
 */
export const LIVE_SETTINGS: readonly string[] = [
  'routes', 'routing', 'upstreams', 'server.trusted_proxies', 'server.identity_header_prefix', 'server.max_in_flight',
  'server.admission', 'server.max_connections', 'server.headers_timeout', 'server.request_timeout', 'server.keep_alive_timeout',
  'server.drain_delay', 'server.grace_period', 'server.tunnel_half_close_timeout', 'logging.level', 'logging.access_log', 'signed_identity.enabled',
  'signed_identity.header', 'signed_identity.lifetime',
];

/** The top-level sections (and `server.*` keys) that take effect only on restart, for documentation and messages. */
export const RESTART_SETTINGS: readonly string[] = [
  'server.listen', 'server.listen_backlog', 'server.public_url', 'server.max_body_bytes', 'admin', 'reload', 'tracing', 'storage', 'auth', 'sessions', 'audit', 'webhooks',
  'mail', 'accounts', 'pages', 'signed_identity.algorithm', 'signed_identity.keys',
];

/**
 * The settings that differ between the running configuration and a new one but take effect only on restart, as
 * YAML paths (`storage.postgres.url`, `auth.providers`); empty when a reload can apply everything. Paths go at most
 * three levels deep, and a changed list is named as a whole.
 */
export function restartRequiredChanges(running: GatehouseConfig, next: GatehouseConfig): string[] {
  const changed = new Set<string>();
  const walk = (a: unknown, b: unknown, path: (string | number)[]): void => {
    const dotted = path.join('.');
    if (LIVE_SETTINGS.some((live) => dotted === live || dotted.startsWith(`${live}.`))) return;
    if (isPlainObject(a) && isPlainObject(b) && path.length < 3) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[key], b[key], [...path, key]);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) changed.add(formatPath(path));
  };
  walk(running, next, []);
  return [...changed].sort();
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

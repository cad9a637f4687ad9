import type { GatehouseConfig } from '../config/index.js';
import { compileRouteTable, type RouteTable } from '../routing/index.js';
import { compileTrustedProxies, type TrustedProxies } from '../proxy/client-address.js';
import { identityHeaderMatcher } from '../proxy/identity-headers.js';
import { ownCookieMatcher, type HeaderPolicy } from '../proxy/upstream-headers.js';
import { openUpstream, sameUpstream, type Upstream } from '../proxy/upstream-pool.js';
import { compileAccessLog, type CompiledAccessLog } from './access-log.js';

/**
 * Everything a request needs that a reload may change, as one immutable snapshot. A request reads the current
 * snapshot once at its start, so a reload swaps tables atomically and in-flight requests finish on the old one.
 */
export interface RuntimeTable {
  readonly config: GatehouseConfig;
  readonly routes: RouteTable;
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly trustedProxies: TrustedProxies;
  readonly headerPolicy: HeaderPolicy;
  readonly accessLog: CompiledAccessLog;
}

/** Builds a snapshot; upstream pools whose settings did not change are carried over from `previous`. */
export function buildRuntimeTable(config: GatehouseConfig, previous?: RuntimeTable): RuntimeTable {
  const upstreams = new Map<string, Upstream>();
  for (const [name, upstreamConfig] of Object.entries(config.upstreams)) {
    const old = previous?.upstreams.get(name);
    upstreams.set(name, old && sameUpstream(old.config, upstreamConfig) ? old : openUpstream(name, upstreamConfig));
  }
  return {
    config,
    routes: compileRouteTable(config.routes, { caseSensitive: config.routing.case_sensitive }),
    upstreams,
    trustedProxies: compileTrustedProxies(config.server.trusted_proxies),
    headerPolicy: {
      isIdentityHeader: identityHeaderMatcher(config.server.identity_header_prefix, [config.signed_identity.header]),
      isOwnCookie: ownCookieMatcher(config.sessions.cookie.name),
    },
    accessLog: compileAccessLog(config.logging.access_log),
  };
}

/** Closes the pools of `old` that `current` no longer uses; close() lets their in-flight requests finish. */
export async function retireRuntimeTable(old: RuntimeTable, current: RuntimeTable): Promise<void> {
  const keep = new Set(current.upstreams.values());
  await Promise.all([...old.upstreams.values()].filter((u) => !keep.has(u)).map((u) => u.pool.close().catch(() => undefined)));
}

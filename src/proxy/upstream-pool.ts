import { Pool } from 'undici';
import type { UpstreamConfig } from '../config/index.js';
import { UpstreamQueue } from '../admission/upstream-queue.js';

/** One upstream as the proxy uses it: its keep-alive connection pool and the settings that shape each forward. */
export interface Upstream {
  readonly name: string;
  readonly config: UpstreamConfig;
  readonly origin: string;
  /** Path prefix of the upstream URL ("" or "/base"), prepended to every forwarded path. */
  readonly basePath: string;
  readonly pool: Pool;
  /** How long forwards wait for one of the pool's connections (admission refuses past a standing wait). */
  readonly queue: UpstreamQueue;
}

/** Opens a keep-alive pool to one upstream. Connections are made lazily, so an upstream that is down costs nothing. */
export function openUpstream(name: string, config: UpstreamConfig): Upstream {
  const url = new URL(config.url);
  const pool = new Pool(url.origin, {
    connections: config.max_connections,
    pipelining: 1,
    headersTimeout: config.timeout,
    bodyTimeout: config.timeout,
    keepAliveTimeout: 4_000,
    connect: { timeout: config.connect_timeout },
  });
  return { name, config, origin: url.origin, basePath: url.pathname.replace(/\/+$/, ''), pool, queue: new UpstreamQueue() };
}

/** Whether two upstream configs would open the same pool (so a reload can keep the old one). */
export function sameUpstream(a: UpstreamConfig, b: UpstreamConfig): boolean {
  return a.url === b.url && a.timeout === b.timeout && a.connect_timeout === b.connect_timeout &&
    a.max_connections === b.max_connections;
}

// A whole Gatehouse (as startFullGatehouse builds it) on a port chosen before it starts, so `server.public_url` and
// therefore the OAuth redirect URIs registered at the test provider name the real port.
import { createServer } from 'node:net';
import { stringify } from 'yaml';
import { parseConfigText } from '../../src/config/index.js';
import { buildApp } from '../../src/app.js';
import { silentLogger } from '../../src/log/logger.js';
import type { TestDatabase } from './drivers.js';
import { RELAXED_ADMISSION, within } from './core-net.js';
import { merge, storageAsYaml, type FullGatehouse } from './full-gatehouse.js';

/** A free port on 127.0.0.1 (bound, then released: the caller binds it again at once). */
export async function pickPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The redirect URI Gatehouse at `port` registers for provider `id` (what the test provider's client must list). */
export function redirectUri(publicUrl: string, id: string): string {
  return `${publicUrl}/.gatehouse/oauth/${id}/callback`;
}

/**
 * Starts Gatehouse on `port` with `public_url` http://<host>:<port> (plain-http cookies unless overridden), the
 * routes and upstreams given, and `auth` merged in (providers...). `env` feeds ${VAR} interpolation.
 */
export async function startOAuthGatehouse(db: TestDatabase, port: number, upstreams: Record<string, string>, routes: unknown[],
  overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}, host = '127.0.0.1'): Promise<FullGatehouse> {
  const object = merge({
    server: { listen: `127.0.0.1:${port}`, public_url: `http://${host}:${port}`, drain_delay: '0s', grace_period: '2s', admission: RELAXED_ADMISSION },
    admin: { listen: '127.0.0.1:0' },
    reload: { watch: false },
    upstreams: Object.fromEntries(Object.entries(upstreams).map(([k, url]) => [k, { url }])),
    routes,
    storage: storageAsYaml(db.config),
    auth: { hash: { concurrency: 2, queue: 4 } },
    sessions: { cookie: { secure: false, name: 'gh_session' } },
    audit: { flush_interval: '100ms' },
  }, overrides);
  const config = parseConfigText(stringify(object), env);
  const app = await buildApp({ config, logger: silentLogger(), listen: { ingress: { host: '127.0.0.1', port }, admin: { host: '127.0.0.1', port: 0 } } });
  const { ingress, admin } = await within(10_000, 'gatehouse to start', app.start());
  return {
    app, auth: { sessions: app.sessions!, accounts: app.accounts!, selfService: app.selfService! }, store: app.store!, config, port: ingress.port, adminPort: admin.port, base: `http://${host}:${ingress.port}`,
    stop: () => within(15_000, 'gatehouse to stop', app.stop()),
  };
}

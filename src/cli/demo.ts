import { createLogger } from '../log/logger.js';
import { startDemoApp } from '../demo/demo-app.js';
import { parseFlags } from './flags.js';
import { DEFAULT_CONFIG_PATH } from './check-config.js';
import { loadOrReport, reportStartupFailure, startApp } from './serve.js';
import { ListenError } from '../errors/index.js';
import { USAGE } from './usage.js';
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';
import { createHashPool } from '../auth/passwords/hash-pool.js';
import { createMetrics } from '../metrics/metrics.js';
import type { GatehouseConfig } from '../config/index.js';

/** `gatehouse demo`: starts the bundled demo app on the `demo` upstream's address, then serves in front of it. */
export async function demoCommand(args: string[]): Promise<number | undefined> {
  const { values } = parseFlags(args, { config: { type: 'string' as const, default: DEFAULT_CONFIG_PATH } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const path = String(values.config);
  const config = loadOrReport(path);
  if (config === undefined) return 1;
  const upstream = config.upstreams['demo'];
  if (upstream === undefined) {
    console.error(`gatehouse demo: ${path} has no upstream named "demo" for the demo app`);
    return 1;
  }
  const logger = createLogger(config.logging.level);
  const url = new URL(upstream.url);
  const where = { host: url.hostname, port: Number(url.port || 80) };
  let demo: Awaited<ReturnType<typeof startDemoApp>>;
  try {
    demo = await startDemoApp(where.host, where.port);
  } catch (err) {
    reportStartupFailure(new ListenError('upstreams.demo.url', where, err), config, logger);
    return 1;
  }
  let demoUser: { email: string; password: string } | undefined;
  const app = await startApp(config, path, logger, {
    beforeStart: async (built) => { demoUser = await ensureDemoUser(built.store!, config); },
    onStopped: async () => { demo.server.close(); },
  });
  if (app === undefined) {
    demo.server.close();
    return 1;
  }
  const base = config.server.public_url.replace(/\/$/, '');
  console.error(`\nGatehouse demo is up:\n  public page:    ${base}/\n  protected page: ${base}/private/\n` +
    (demoUser ? `  sign in as:     ${demoUser.email} / ${demoUser.password}   (created now; printed only this once)\n` : '') +
    `  metrics:        http://${config.admin.listen.host === '0.0.0.0' ? '127.0.0.1' : config.admin.listen.host}:${config.admin.listen.port}/metrics\n`);
  return undefined;
}

const DEMO_EMAIL = 'demo@example.com';

/**
 * On a fresh demo database, creates one account so a newcomer can sign in at once; its random password is printed
 * once. An existing database is left alone (the user may have changed or removed the demo account). Runs on the
 * app's own store, after it is built and before it listens.
 */
async function ensureDemoUser(store: Store, config: GatehouseConfig): Promise<{ email: string; password: string } | undefined> {
  if (await store.users.count() > 0) return undefined;
  const password = randomBytes(9).toString('base64url');
  const passwordHash = await createHashPool({ config: config.auth.hash, metrics: createMetrics() }).hash(password);
  await store.users.create({ email: DEMO_EMAIL, name: 'Demo User', passwordHash, roles: ['demo'] });
  return { email: DEMO_EMAIL, password };
}

// System 5: Gatehouse itself, as a user runs it: `node bin/gatehouse.js serve --config FILE`, one process, in front
// of the shared upstream, on the chosen store. Accounts are seeded straight into the store before it starts (one
// Argon2id hash shared by all, at the same cost the express stack verifies), as `gatehouse user add` would write
// them, minus a process start per user.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { migrate, openStore, storageSchema, type StorageConfig } from '../../src/store/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { mintToken } from '../../src/sessions/token.js';
import { mysqlDatabase, postgresDatabase, reachable } from '../../test/store/databases.js';
import { startChild, waitForLine } from '../lib/processes.js';
import { scrape, sum } from '../lib/prometheus.js';
import { cookieLogin, type BenchUser, type RunningSystem, type SystemContext, type SystemDefinition } from './system.js';

const BIN = fileURLToPath(new URL('../../../bin/gatehouse.js', import.meta.url));
export const COOKIE = 'gatehouse';

export interface GatehouseOptions {
  /** server.max_in_flight (the default, 4096, sheds nothing on this box; story-mix sets it for the machine). */
  maxInFlight?: number;
  /** Sessions minted straight into the store before start, for writes that spend one each (logout). */
  preMintedSessions?: number;
  /** Start node with --cpu-prof into this directory. */
  cpuProfileDir?: string;
  /** Extra config, deep-merged. */
  config?: Record<string, unknown>;
}

export interface RunningGatehouse extends RunningSystem {
  readonly metricsUrl: string;
  readonly configPath: string;
  /** Cookie headers of the pre-minted sessions. */
  readonly spareSessions: Record<string, string>[];
  /** A token's key id and secret, to forge look-alikes with the wrong MAC. */
  readonly tokenKeyId: string;
}

/** A throw-away database for the chosen store; `drop` removes it. */
async function database(ctx: SystemContext): Promise<{ config: StorageConfig; drop(): Promise<void> }> {
  if (ctx.store === 'sqlite') {
    return { config: storageSchema.parse({ driver: 'sqlite', sqlite: { path: join(ctx.tmpDir, `gatehouse-${randomBytes(4).toString('hex')}.db`) } }), drop: async () => {} };
  }
  if (!(await reachable(ctx.store))) throw new Error(`--store ${ctx.store}: no server answers on 127.0.0.1 (start it with .ci/start-databases.sh)`);
  const db = ctx.store === 'postgres' ? await postgresDatabase() : await mysqlDatabase();
  return { config: db.config, drop: () => db.drop() };
}

function storageYaml(c: StorageConfig): Record<string, unknown> {
  return {
    driver: c.driver,
    sqlite: { path: c.sqlite.path, busy_timeout: `${c.sqlite.busy_timeout}ms` },
    postgres: { url: c.postgres.url, pool_max: c.postgres.pool_max, acquire_timeout: `${c.postgres.acquire_timeout}ms` },
    mysql: { url: c.mysql.url, pool_max: c.mysql.pool_max, acquire_timeout: `${c.mysql.acquire_timeout}ms` },
    migrate_on_start: true,
  };
}

/** Gatehouse with `options`; each start gets a fresh database. */
export function gatehouse(options: GatehouseOptions = {}): SystemDefinition {
  return {
    name: 'gatehouse', label: 'Gatehouse',
    async start(ctx): Promise<RunningGatehouse> {
      const db = await database(ctx);
      const secret = randomBytes(33).toString('base64url');
      const key = { id: 'bench', secret: Buffer.from(secret, 'utf8') };
      // Seed: migrate, accounts, and any pre-minted sessions, in one transaction.
      const logger = silentLogger();
      await migrate(db.config, logger);
      const store = await openStore(db.config, { logger });
      const spare: Record<string, string>[] = [];
      try {
        await store.transaction(async (tx) => {
          for (const u of ctx.users) await tx.users.create({ email: u.email, passwordHash: ctx.passwordHash, roles: [] });
        });
        const n = options.preMintedSessions ?? 0;
        if (n > 0) {
          const owner = await store.users.getByEmail(ctx.users[0]!.email);
          const far = new Date(Date.now() + 86_400_000);
          for (let done = 0; done < n; done += 2000) {
            await store.transaction(async (tx) => {
              for (let i = done; i < Math.min(n, done + 2000); i++) {
                const t = mintToken(key);
                await tx.sessions.create({ id: t.sessionId, userId: owner!.id, expiresAt: far, idleExpiresAt: far });
                spare.push({ cookie: `${COOKIE}=${t.token}` });
              }
            });
          }
        }
      } finally {
        await store.close();
      }
      const config = {
        server: { listen: '127.0.0.1:0', public_url: 'http://127.0.0.1', drain_delay: '0s', grace_period: '2s', max_in_flight: options.maxInFlight ?? 4096 },
        admin: { listen: '127.0.0.1:0' },
        // No access log, as nginx runs with `access_log off` (bench/systems/nginx.ts): both compare forwarding.
        logging: { level: 'info', access_log: { enabled: false } },
        reload: { watch: false },
        upstreams: { app: { url: ctx.upstreamUrl } },
        routes: [{ name: 'app', match: { path: '/' }, policy: 'authenticated', upstream: 'app' }],
        storage: storageYaml(db.config),
        auth: { local: { registration: 'open' } },
        sessions: { cookie: { name: COOKIE, secure: false }, token_keys: [{ id: key.id, secret }] },
        ...options.config,
      };
      const configPath = join(ctx.tmpDir, `gatehouse-${randomBytes(4).toString('hex')}.yaml`);
      writeFileSync(configPath, stringify(config));
      const nodeArgs = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
      const child = startChild('gatehouse', process.execPath, [...nodeArgs, BIN, 'serve', '--config', configPath]);
      const m = await waitForLine(child, /^\{.*"gatehouse is listening[^"]*".*\}$/, 20_000);
      const line = JSON.parse(m[0]) as { ingress: { port: number }; admin: { port: number } };
      const origin = `http://127.0.0.1:${line.ingress.port}`;
      const metricsUrl = `http://127.0.0.1:${line.admin.port}/metrics`;
      const body = (u: BenchUser): string => JSON.stringify({ email: u.email, password: u.password });
      return {
        name: 'gatehouse', label: 'Gatehouse', origin, authenticates: true, metricsUrl, configPath,
        spareSessions: spare, tokenKeyId: key.id,
        pids: () => [child.pid],
        login: (u) => cookieLogin(origin, '/.gatehouse/login', body(u)),
        loginRequest: { path: '/.gatehouse/login', body },
        // prom-client resets its event-loop histogram on every scrape, so this is the p99 since the last call.
        async loopDelayP99Ms() {
          return sum(await scrape(metricsUrl), 'nodejs_eventloop_lag_p99_seconds') * 1000;
        },
        async stop() {
          await child.stop();
          await db.drop();
        },
      };
    },
  };
}

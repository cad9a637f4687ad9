import { createHashPool } from '../auth/passwords/hash-pool.js';
import { createMetrics } from '../metrics/metrics.js';
import { createLogger } from '../log/logger.js';
import { migrate } from '../store/index.js';
import { isGatehouseError } from '../errors/index.js';
import { parseFlags } from './flags.js';
import { DEFAULT_CONFIG_PATH } from './check-config.js';
import { loadOrReport } from './serve.js';
import { readStdin } from './open-config-store.js';

/** `gatehouse migrate`: applies pending migrations to the configured database and prints the schema version. */
export async function migrateCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { config: { type: 'string' as const, default: DEFAULT_CONFIG_PATH } });
  const config = loadOrReport(String(values.config));
  if (config === undefined) return 1;
  try {
    const result = await migrate(config.storage, createLogger('warn'));
    console.log(`ok: ${result.driver} schema at version ${result.version}` +
      (result.applied.length > 0 ? ` (applied ${result.applied.map((m) => `${m.version} ${m.name}`).join(', ')})` : ' (nothing to apply)'));
    return 0;
  } catch (err) {
    if (isGatehouseError(err)) {
      console.error(`gatehouse migrate: ${err.message}${err.detail ? ` (${err.detail})` : ''}`);
      return 1;
    }
    throw err;
  }
}

/** `gatehouse hash-password`: reads a password on stdin and prints its Argon2id hash with the configured parameters. */
export async function hashPasswordCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { config: { type: 'string' as const, default: DEFAULT_CONFIG_PATH } });
  const config = loadOrReport(String(values.config));
  if (config === undefined) return 1;
  const password = await readStdin();
  if (password === '') {
    console.error('gatehouse hash-password: expected a password on standard input');
    return 1;
  }
  console.log(await createHashPool({ config: config.auth.hash, metrics: createMetrics() }).hash(password));
  return 0;
}

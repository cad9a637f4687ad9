import { fileSha256, loadConfigFile, type GatehouseConfig } from '../config/index.js';
import { ConfigError, formatConfigProblem } from '../errors/index.js';
import { createLogger, type Logger } from '../log/logger.js';
import { buildApp, type App } from '../app.js';
import { isGatehouseError } from '../errors/index.js';
import { parseFlags } from './flags.js';
import { DEFAULT_CONFIG_PATH } from './check-config.js';
import { USAGE } from './usage.js';
import { explainStartupFailure } from './startup-failure.js';

/** `gatehouse serve`: runs until SIGTERM/SIGINT (drain, then exit 0); a second signal exits at once. */
export async function serveCommand(args: string[]): Promise<number | undefined> {
  const { values } = parseFlags(args, { config: { type: 'string' as const, default: DEFAULT_CONFIG_PATH } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const path = String(values.config);
  const config = loadOrReport(path);
  if (config === undefined) return 1;
  const logger = createLogger(config.logging.level);
  const app = await startApp(config, path, logger);
  return app === undefined ? 1 : undefined;
}

/** Loads the config, printing every problem to stderr when it is invalid. */
export function loadOrReport(path: string): GatehouseConfig | undefined {
  try {
    return loadConfigFile(path);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`gatehouse: ${path} is invalid:`);
    for (const problem of err.problems) console.error(`  ${formatConfigProblem(problem)}`);
    return undefined;
  }
}

/** What `demo` adds around `serve`: work before the listeners open, and after the app has stopped. */
export interface StartHooks {
  beforeStart?: (app: App) => Promise<void>;
  onStopped?: () => Promise<void>;
}

/** Builds, starts and wires signals for an app; the process exits when it has stopped. */
export async function startApp(config: GatehouseConfig, path: string, logger: Logger, hooks: StartHooks = {}): Promise<App | undefined> {
  // Signal handlers come first: a SIGTERM that arrives while the store opens or the listeners bind must still
  // lead to a clean stop, not to the default action (an abrupt exit).
  let app: App | undefined;
  let started = false;
  let stopRequested = false;
  let signals = 0;
  const stop = (): void => {
    void app!.stop().then(async () => {
      await hooks.onStopped?.();
      process.exit(0);
    });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'stopping');
    if (started) stop();
    else stopRequested = true;
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', () => void app?.reload());
  try {
    // The file was read and validated a moment ago; its hash is taken now (a change in between reloads anyway).
    const sha256 = fileSha256(path);
    app = await buildApp({ config, configPath: path, ...(sha256 === undefined ? {} : { configSha256: sha256 }), logger });
  } catch (err) {
    reportStartupFailure(err, config, logger);
    return undefined;
  }
  try {
    await hooks.beforeStart?.(app);
    await app.start();
  } catch (err) {
    reportStartupFailure(err, config, logger);
    await app.abort();
    return undefined;
  }
  started = true;
  if (stopRequested) stop();
  return app;
}

/**
 * One line on stderr naming what failed and the setting to change (a port in use, a database that does not answer).
 * Only an unexpected error (a bug, not the environment) also gets a fatal log line with its stack.
 */
export function reportStartupFailure(err: unknown, config: GatehouseConfig, logger: Logger): void {
  console.error(`gatehouse: ${explainStartupFailure(err, config)}`);
  if (!isGatehouseError(err)) logger.fatal({ err }, 'could not start');
}

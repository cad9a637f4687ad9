/**
 * Reloads (SIGHUP, or the file watcher) and what they say they did. A new file is applied whole or not at all:
 *  - invalid: refused, logged with every problem's YAML path (`result="failure"`);
 *  - valid, but changing a setting bound at start (listeners, storage, sessions, auth providers...): refused, and
 *    the log names every such setting (`result="restart_required"`). Applying only the live part would leave the
 *    process running a configuration that matches no file; the Helm chart rolls the pods for these changes;
 *  - otherwise applied live (`result="success"`): routes and policies, upstreams, trusted proxies, the identity
 *    header prefix, the in-flight limit, shutdown timings and the log level (config/reload-plan.ts).
 * `gatehouse_config_last_reload_success` says whether the last attempt was applied, and
 * `gatehouse_config_info{sha256}` which file is in force.
 */
import type { GatehouseConfig } from '../config/index.js';
import { readConfigFile } from '../config/index.js';
import { restartRequiredChanges } from '../config/reload-plan.js';
import { ConfigError, formatConfigProblem } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';

export type ReloadResult = 'success' | 'failure' | 'restart_required';

export interface ConfigReloaderOptions {
  path: string;
  env: NodeJS.ProcessEnv;
  /** The SHA-256 of the file the running configuration came from, when known. */
  sha256: string | undefined;
  metrics: Metrics;
  logger: Logger;
  /** The configuration in force now. */
  running(): GatehouseConfig;
  /** Puts a new configuration in force (only ever one that changes live settings alone). */
  apply(next: GatehouseConfig): void;
  /** Epoch ms (default Date.now). */
  clock?: () => number;
}

export interface ConfigReloader {
  reload(): Promise<ReloadResult>;
}

/** Builds the reloader and exports the running file's hash. */
export function createConfigReloader(options: ConfigReloaderOptions): ConfigReloader {
  const { metrics, logger } = options;
  const clock = options.clock ?? Date.now;
  const inForce = (sha256: string | undefined): void => {
    metrics.configInfo.reset();
    metrics.configInfo.set({ sha256: sha256 ?? 'unknown' }, 1);
  };
  inForce(options.sha256);
  metrics.configLastReloadSuccess.set(1);
  metrics.configLastReloadSuccessTime.set(clock() / 1000);

  const outcome = (result: ReloadResult): ReloadResult => {
    metrics.configReloads.inc({ result });
    metrics.configLastReloadSuccess.set(result === 'success' ? 1 : 0);
    if (result === 'success') metrics.configLastReloadSuccessTime.set(clock() / 1000);
    return result;
  };

  return {
    async reload() {
      let next: { config: GatehouseConfig; sha256: string };
      try {
        next = readConfigFile(options.path, options.env);
      } catch (err) {
        const problems = err instanceof ConfigError ? err.problems.map(formatConfigProblem) : [String(err)];
        logger.error({ problems, file: options.path }, 'configuration reload refused: the file is invalid; the previous configuration stays in force');
        return outcome('failure');
      }
      const restart = restartRequiredChanges(options.running(), next.config);
      if (restart.length > 0) {
        logger.error({ restartRequired: restart, file: options.path, sha256: next.sha256 },
          `configuration reload refused: ${restart.join(', ')} take effect only on restart; nothing was applied, the previous configuration stays in force until the process restarts`);
        return outcome('restart_required');
      }
      options.apply(next.config);
      inForce(next.sha256);
      logger.info({ routes: next.config.routes.length, upstreams: Object.keys(next.config.upstreams).length, sha256: next.sha256 }, 'configuration reloaded');
      return outcome('success');
    },
  };
}

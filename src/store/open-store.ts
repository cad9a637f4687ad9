import type { Logger } from '../log/logger.js';
import type { StorageConfig } from './config-schema.js';
import type { AppliedMigration } from './migrations/index.js';
import { checkMysqlSchema, migrateMysql } from './mysql/mysql-migrate.js';
import { openMysqlDriver } from './mysql/mysql-driver.js';
import { checkPgSchema, migratePg } from './postgres/pg-migrate.js';
import { openPgDriver } from './postgres/pg-driver.js';
import { listenForChanges } from './postgres/pg-change-listener.js';
import { openSqliteDriver } from './sqlite/sqlite-driver.js';
import { createSqlStore } from './sql/sql-store.js';
import type { Store } from './store.js';

/** What openStore needs besides configuration. */
export interface StoreDeps {
  logger: Logger;
  /** Clock for defaulted times (epoch ms); Date.now unless a test pins it. */
  now?: () => number;
}

/** The outcome of `migrate`: which migrations ran now, and the schema version the code expects. */
export interface MigrateResult {
  driver: StorageConfig['driver'];
  applied: AppliedMigration[];
  version: number;
}

/** Applies pending migrations for the configured driver (`gatehouse migrate`); safe to run twice or concurrently. */
export async function migrate(config: StorageConfig, logger: Logger): Promise<MigrateResult> {
  switch (config.driver) {
    case 'sqlite': {
      const driver = await openSqliteDriver({ path: config.sqlite.path, busyTimeoutMs: config.sqlite.busy_timeout, migrate: true, logger });
      await driver.close();
      const hello = driver.migrated.type === 'ready' ? driver.migrated : { applied: [], version: 0 };
      for (const m of hello.applied) logger.info({ version: m.version, name: m.name }, 'applied sqlite migration');
      return { driver: 'sqlite', applied: hello.applied, version: hello.version };
    }
    case 'postgres':
      return { driver: 'postgres', ...await migratePg(config.postgres.url, config.postgres.acquire_timeout, logger) };
    case 'mysql':
      return { driver: 'mysql', ...await migrateMysql(config.mysql.url, config.mysql.acquire_timeout, logger) };
  }
}

/**
 * Opens the configured store. With `migrate_on_start` it applies pending migrations first; without, it still
 * refuses (SchemaTooNewError) a database newer than the code and warns about pending migrations.
 * Rejects with StoreDownError when the database cannot be reached.
 */
export async function openStore(config: StorageConfig, deps: StoreDeps): Promise<Store> {
  const { logger } = deps;
  const warnPending = (pending: number): void => {
    if (pending > 0) logger.warn({ pending }, 'database schema is behind this Gatehouse; run `gatehouse migrate`');
  };
  const options = deps.now ? { now: deps.now } : {};
  switch (config.driver) {
    case 'sqlite': {
      const driver = await openSqliteDriver({
        path: config.sqlite.path, busyTimeoutMs: config.sqlite.busy_timeout, migrate: config.migrate_on_start, logger,
      });
      if (driver.migrated.type === 'ready') {
        for (const m of driver.migrated.applied) logger.info({ version: m.version, name: m.name }, 'applied sqlite migration');
        warnPending(driver.migrated.pending);
      }
      return createSqlStore(driver, options);
    }
    case 'postgres': {
      const { url, pool_max: poolMax, acquire_timeout: acquireTimeoutMs, query_timeout: queryTimeoutMs } = config.postgres;
      if (config.migrate_on_start) await migratePg(url, acquireTimeoutMs, logger);
      else warnPending((await checkPgSchema(url, acquireTimeoutMs)).pending);
      const store = createSqlStore(openPgDriver({ url, poolMax, acquireTimeoutMs, queryTimeoutMs, logger }), options);
      return { ...store, subscribeToChanges: (listener) => listenForChanges(url, acquireTimeoutMs, listener, logger) };
    }
    case 'mysql': {
      const { url, pool_max: poolMax, acquire_timeout: acquireTimeoutMs, query_timeout: queryTimeoutMs } = config.mysql;
      if (config.migrate_on_start) await migrateMysql(url, acquireTimeoutMs, logger);
      else warnPending((await checkMysqlSchema(url, acquireTimeoutMs)).pending);
      return createSqlStore(openMysqlDriver({ url, poolMax, acquireTimeoutMs, queryTimeoutMs, logger }), options);
    }
  }
}

import { z } from 'zod';
import { durationMs } from '../config/schema-helpers.js';

const poolSchema = (defaultUrl: string) => z.strictObject({
  /** Connection URL; use ${ENV} for the password. */
  url: z.string().min(1).default(defaultUrl),
  /** Most connections this replica opens. */
  pool_max: z.number().int().positive().max(1000).default(10),
  /** How long a query waits for a free connection before failing with StoreBusy. */
  acquire_timeout: durationMs.default(3000),
  /** Longest wait for one statement's answer before the database counts as unreachable (StoreDown, 503). */
  query_timeout: durationMs.default(10_000),
});

/** The `storage:` section: which driver, and each driver's settings. */
export const storageSchema = z.strictObject({
  driver: z.enum(['sqlite', 'postgres', 'mysql']).default('sqlite'),
  sqlite: z.strictObject({
    path: z.string().min(1).default('./data/gatehouse.db'),
    busy_timeout: durationMs.default(3000),
  }).prefault({}),
  postgres: poolSchema('postgres://postgres@127.0.0.1:5432/gatehouse').prefault({}),
  mysql: poolSchema('mysql://root@127.0.0.1:3306/gatehouse').prefault({}),
  /**
   * How often each replica reads the change feed (revocations, role and membership changes from other replicas
   * and the CLI). On PostgreSQL a NOTIFY also wakes it at once; on MySQL and SQLite this is the bound.
   */
  change_poll_interval: durationMs.default(1_000),
  /** How long change-feed entries are kept; a replica that falls further behind drops its whole session cache. */
  change_retention: durationMs.default(3_600_000),
  /** How often each replica pings the database to report its state (gatehouse_store_up, /readyz?verbose). */
  health_interval: durationMs.default(5_000),
  /** Apply pending migrations when `serve` starts. */
  migrate_on_start: z.boolean().default(true),
}).prefault({});

export type StorageConfig = z.output<typeof storageSchema>;

import type { StoreDriver } from '../store.js';
import type { Migration } from './migration.js';
import { init as sqliteInit } from './sqlite/001-init.js';
import { init as postgresInit } from './postgres/001-init.js';
import { init as mysqlInit } from './mysql/001-init.js';

export { pendingMigrations, latestVersion, type Migration, type AppliedMigration } from './migration.js';

// Migrations are TS modules exporting SQL strings rather than .sql files because tsc does not copy .sql files
// to dist/. Add a migration by adding a numbered file per dialect and listing it here.
/** Every migration for a dialect, in version order. */
export function migrationsFor(driver: StoreDriver): readonly Migration[] {
  switch (driver) {
    case 'sqlite': return [sqliteInit];
    case 'postgres': return [postgresInit];
    case 'mysql': return [mysqlInit];
  }
}

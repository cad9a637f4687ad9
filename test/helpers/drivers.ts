// Runs a suite once per storage driver against the real databases: SQLite (a temp file), the local PostgreSQL and
// the local MariaDB. Outside CI an unreachable server skips its driver loudly; under CI=true it fails the run.
import { describe, test } from 'node:test';
import { MYSQL_URL, PG_URL, mysqlDatabase, postgresDatabase, reachable, sqliteDatabase, type TestDatabase } from '../store/databases.js';

export type DriverName = 'sqlite' | 'postgres' | 'mysql';
export type { TestDatabase };

const FACTORIES: Record<DriverName, () => Promise<TestDatabase>> = {
  sqlite: async () => sqliteDatabase(),
  postgres: postgresDatabase,
  mysql: mysqlDatabase,
};

/** `describe(title [driver])` for each driver whose database is reachable (all three under CI, or it fails). */
export async function describeEachDriver(title: string, suite: (driver: DriverName, makeDatabase: () => Promise<TestDatabase>) => void,
  drivers: readonly DriverName[] = ['sqlite', 'postgres', 'mysql']): Promise<void> {
  for (const driver of drivers) {
    const up = driver === 'sqlite' || await reachable(driver);
    if (!up) {
      const where = driver === 'postgres' ? PG_URL : MYSQL_URL;
      if (process.env.CI === 'true') {
        test(`${title} [${driver}]: database reachable (required under CI)`, () => { throw new Error(`${driver} unreachable at ${where}`); });
      } else {
        console.warn(`SKIPPED: ${title} [${driver}]: unreachable at ${where} (under CI=true this fails)`);
        test.skip(`${title} [${driver}] (database unreachable)`);
      }
      continue;
    }
    describe(`${title} [${driver}]`, () => suite(driver, FACTORIES[driver]));
  }
}

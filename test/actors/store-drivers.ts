// The real stores the actor tests run against: SQLite always, PostgreSQL and MariaDB when reachable (a fresh
// database per suite, from test/store/databases.ts). Under CI=true an unreachable server is a failing test;
// elsewhere it is skipped loudly.
import { test } from 'node:test';
import { openStore, type Store } from '../../src/store/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { MYSQL_URL, PG_URL, mysqlDatabase, postgresDatabase, reachable, sqliteDatabase, type TestDatabase } from '../store/databases.js';

/** A store on a throw-away database; `close` closes it and drops the database. */
export interface OpenedStore {
  store: Store;
  close(): Promise<void>;
}

export interface StoreDriver {
  name: 'sqlite' | 'postgres' | 'mysql';
  open(): Promise<OpenedStore>;
}

async function opened(makeDatabase: () => Promise<TestDatabase>): Promise<OpenedStore> {
  const db = await makeDatabase();
  const store = await openStore(db.config, { logger: silentLogger() });
  return { store, async close() { await store.close(); await db.drop(); } };
}

/** The drivers available here; registers a failing (CI) or skipped test for each unreachable one. */
export async function storeDrivers(suite: string): Promise<StoreDriver[]> {
  const drivers: StoreDriver[] = [{ name: 'sqlite', open: () => opened(async () => sqliteDatabase(3000)) }];
  const servers = [
    { name: 'postgres' as const, url: PG_URL, make: postgresDatabase },
    { name: 'mysql' as const, url: MYSQL_URL, make: mysqlDatabase },
  ];
  for (const s of servers) {
    if (await reachable(s.name)) {
      drivers.push({ name: s.name, open: () => opened(s.make) });
    } else if (process.env.CI === 'true') {
      test(`${suite}: ${s.name} is reachable (required under CI)`, () => {
        throw new Error(`${s.name} unreachable at ${s.url}`);
      });
    } else {
      console.warn(`SKIPPED: ${suite} on ${s.name}: unreachable at ${s.url} (under CI=true this fails)`);
      test.skip(`${suite}: ${s.name} (unreachable at ${s.url})`);
    }
  }
  return drivers;
}

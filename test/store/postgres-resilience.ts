// PostgreSQL-only behaviour: the pool survives the server dropping its connections, a full pool fails fast
// with StoreBusy, an unreachable server is StoreDown.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { silentLogger } from '../../src/log/logger.js';
import { openStore, storageSchema, type Store } from '../../src/store/index.js';
import { StoreBusyError, StoreDownError } from '../../src/errors/index.js';
import { PG_URL, postgresDatabase, type TestDatabase } from './databases.js';

/** Registers the PostgreSQL resilience tests. */
export function driverSpecificPgTests(): void {
  describe('postgres driver resilience', () => {
    let db: TestDatabase;
    let store: Store;
    before(async () => {
      db = await postgresDatabase();
      store = await openStore(storageSchema.parse({ ...db.config, postgres: { ...db.config.postgres, pool_max: 1, acquire_timeout: '300ms' } }), { logger: silentLogger() });
    });
    after(async () => {
      await store?.close();
      await db?.drop();
    });

    test('connections killed by the server: the process lives and the next query reconnects', async () => {
      await store.users.count();
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      const database = new URL(db.config.postgres.url).pathname.slice(1);
      const killed = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
      await admin.end();
      assert.ok((killed.rowCount ?? 0) >= 1);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(await store.users.count(), 0);
      await store.ping();
    });

    test('a full pool fails with StoreBusy after the acquire timeout', async () => {
      let release!: () => void;
      const held = store.transaction(() => new Promise<void>((r) => { release = r; }));
      await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      await assert.rejects(store.users.count(), (e: Error) => e instanceof StoreBusyError);
      assert.ok(Date.now() - started >= 250);
      release();
      await held;
    });

    test('an unreachable server is StoreDown', async () => {
      const config = storageSchema.parse({ driver: 'postgres', postgres: { url: 'postgres://postgres@127.0.0.1:1/none', acquire_timeout: '1s' } });
      await assert.rejects(openStore(config, { logger: silentLogger() }), (e: Error) => e instanceof StoreDownError);
      const lazy = await openStore({ ...config, migrate_on_start: false }, { logger: silentLogger() }).catch((e: unknown) => e);
      assert.ok(lazy instanceof StoreDownError, 'checking the schema needs the server too');
    });
  });
}

// MySQL-only behaviour: the pool survives the server killing its connections, a full pool fails fast with
// StoreBusy, an unreachable server is StoreDown.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { silentLogger } from '../../src/log/logger.js';
import { openStore, storageSchema, type Store } from '../../src/store/index.js';
import { StoreBusyError, StoreDownError } from '../../src/errors/index.js';
import { MYSQL_URL, mysqlDatabase, type TestDatabase } from './databases.js';

/** Registers the MySQL resilience tests. */
export function driverSpecificMysqlTests(): void {
  describe('mysql driver resilience', () => {
    let db: TestDatabase;
    let store: Store;
    before(async () => {
      db = await mysqlDatabase();
      store = await openStore(storageSchema.parse({ ...db.config, mysql: { ...db.config.mysql, pool_max: 1, acquire_timeout: '300ms' } }), { logger: silentLogger() });
    });
    after(async () => {
      await store?.close();
      await db?.drop();
    });

    test('connections killed by the server: the process lives and the next query reconnects', async () => {
      await store.users.count();
      const admin = await mysql.createConnection({ uri: MYSQL_URL });
      const database = new URL(db.config.mysql.url).pathname.slice(1);
      const [rows] = await admin.query<mysql.RowDataPacket[]>('SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()', [database]);
      for (const r of rows) await admin.query(`KILL ${Number(r.id)}`);
      await admin.end();
      assert.ok(rows.length >= 1);
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
      const config = storageSchema.parse({ driver: 'mysql', mysql: { url: 'mysql://root@127.0.0.1:1/none', acquire_timeout: '1s' } });
      await assert.rejects(openStore(config, { logger: silentLogger() }), (e: Error) => e instanceof StoreDownError);
    });
  });
}

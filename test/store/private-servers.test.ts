// The private database servers that outage tests take away: each starts on its own port, keeps its data across a
// stop and a crash, and taking it away never touches the shared servers other test runs use.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { reachable } from './databases.js';
import { privateServerUnavailable, startPrivateServer, type PrivateServer } from '../helpers/private-databases.js';

for (const kind of ['postgres', 'mysql'] as const) {
  const unavailable = privateServerUnavailable(kind);
  if (unavailable !== undefined) {
    if (process.env.CI === 'true') test(`private ${kind} server (required under CI)`, () => { throw new Error(unavailable); });
    else test.skip(`private ${kind} server (${unavailable})`);
    continue;
  }
  describe(`private ${kind} server`, () => {
    let server: PrivateServer;
    before(async () => { server = await startPrivateServer(kind); });
    after(async () => { await server?.destroy(); });

    test('stop, crash and start again: the data stays, the shared server never notices', async () => {
      const sharedBefore = await reachable(kind);
      assert.notEqual(server.port, kind === 'postgres' ? 5432 : 3306);
      const db = await server.createDatabase();
      await db.exec('CREATE TABLE kept (n INTEGER)');
      await db.exec('INSERT INTO kept VALUES (7)');

      await server.stop();
      assert.equal(await server.isUp(), false, 'stopped');
      assert.equal(await reachable(kind), sharedBefore, 'the shared server is as it was');
      await server.start();
      assert.equal(await server.isUp(), true, 'started again');

      await server.kill();
      assert.equal(await server.isUp(), false, 'crashed');
      await server.start();
      // The table survived both: a statement that needs it succeeds.
      await db.exec('INSERT INTO kept VALUES (8)');
      await db.drop();
    });

    test('destroy removes the server and its directory', async () => {
      const other = await startPrivateServer(kind);
      assert.ok(existsSync(other.dir));
      assert.ok(other.log().length > 0, 'the server wrote a log');
      await other.destroy();
      assert.equal(await other.isUp(), false);
      await other.destroy(); // a second call is harmless
      assert.equal(existsSync(other.dir), false, 'its directory is gone');
    });
  });
}

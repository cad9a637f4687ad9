// One canonical email (store/canonical-email.ts) for the store's unique column, every lookup by email and the login
// throttle. Before, the throttle applied NFKC and the store did not: a full-width spelling of an address was a second
// account in the store but the same counter in the throttle, so the two disagreed about who an address is.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { LoginThrottle } from '../../src/auth/login-throttle.js';
import { ConflictError } from '../../src/errors/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { canonicalEmail, openStore, type Store } from '../../src/store/index.js';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';

await describeEachDriver('one canonical email for the store, the throttle and every lookup', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let store: Store;
  before(async () => {
    db = await makeDatabase();
    store = await openStore(db.config, { logger: silentLogger() });
  });
  after(async () => {
    await store?.close();
    await db?.drop();
  });

  test('every spelling of an address is one account: found by it, refused as a second one, one throttle counter', async () => {
    const alice = await store.users.create({ email: 'Alice@Example.com' });
    const spellings = ['alice@example.com', ' ALICE@EXAMPLE.COM ', 'ａｌｉｃｅ@example.com', 'Ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ', 'alice@ｅxample.com'];
    for (const spelling of spellings) {
      assert.equal((await store.users.getByEmail(spelling))?.id, alice.id, `found by ${JSON.stringify(spelling)}`);
      assert.equal(LoginThrottle.accountKey(spelling), `acct:${canonicalEmail(alice.email)}`, `one counter for ${JSON.stringify(spelling)}`);
    }
    for (const spelling of spellings.slice(2)) {
      await assert.rejects(store.users.create({ email: spelling }), ConflictError, `a second account as ${JSON.stringify(spelling)}`);
    }
    assert.equal((await store.users.get(alice.id))?.email, 'Alice@Example.com', 'the address is kept as typed');
  });

  test('an email change is canonicalised too', async () => {
    const bob = await store.users.create({ email: `bob-${randomUUID().slice(0, 8)}@example.com` });
    await store.users.update(bob.id, { email: 'ｂｏｂ.new@example.com' });
    assert.equal((await store.users.getByEmail('BOB.NEW@example.com'))?.id, bob.id);
  });

  test('a row written before the column was canonicalised (as typed, lower-cased) is still found by its address', async () => {
    const id = randomUUID();
    await db.exec(`INSERT INTO users (id, email, email_lower, roles, created_at) VALUES ('${id}', 'Ｃａｒｏｌ@example.com', 'ｃａｒｏｌ@example.com', '[]', 0)`);
    assert.equal((await store.users.getByEmail('Ｃａｒｏｌ@example.com'))?.id, id);
    assert.equal(await store.users.getByEmail('nobody-ｃａｒｏｌ@example.com'), null);
  });
});

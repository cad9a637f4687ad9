// Issue 12 §3, "MySQL/MariaDB: no throttling and a 500 for long emails": the throttle key for a 320-character
// address overflowed `login_attempts.attempt_key VARCHAR(255)`, the failure was never counted and every wrong
// password was a 500. Keys are now stored hashed (store/sql/settings-repo.ts), and a counter that cannot be written
// is a 503 with Retry-After, never a 500. On every driver, through a whole Gatehouse.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachDriver, type DriverName, type TestDatabase } from '../helpers/drivers.js';
import { startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { sample, scrape, startUpstream, type TestUpstream } from '../helpers/core-net.js';
import { Client } from '../helpers/browserless-client.js';

const ROUTES = [{ name: 'public', match: { path: '/' }, policy: 'public', upstream: 'app' }];
const PASSWORD = 'a long enough passphrase';
/** The longest address login accepts (320) and the longest registration accepts (254, RFC 5321). */
const LOGIN_320 = `${'a'.repeat(64)}@${'b'.repeat(250)}.test`;
const REGISTER_254 = (tag: string): string => `${tag}${'c'.repeat(64 - tag.length)}@${'d'.repeat(184)}.test`;

/** A trigger that makes every new throttle counter row fail, in the driver's own SQL. */
function refuseCounterWrites(driver: DriverName): string[] {
  switch (driver) {
    case 'sqlite':
      return ["CREATE TRIGGER refuse_attempts BEFORE INSERT ON login_attempts BEGIN SELECT RAISE(ABORT, 'counter refused by test'); END"];
    case 'postgres':
      return [
        "CREATE FUNCTION refuse_attempts() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'counter refused by test'; END $$ LANGUAGE plpgsql",
        'CREATE TRIGGER refuse_attempts BEFORE INSERT ON login_attempts FOR EACH ROW EXECUTE FUNCTION refuse_attempts()',
      ];
    case 'mysql':
      return ["CREATE TRIGGER refuse_attempts BEFORE INSERT ON login_attempts FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'counter refused by test'"];
  }
}

function allowCounterWrites(driver: DriverName): string[] {
  return driver === 'postgres' ? ['DROP TRIGGER refuse_attempts ON login_attempts', 'DROP FUNCTION refuse_attempts()'] : ['DROP TRIGGER refuse_attempts'];
}

await describeEachDriver('throttle counters fit every accepted input and never fail as a 500', (driver, makeDatabase) => {
  let db: TestDatabase;
  let upstream: TestUpstream;
  let gh: FullGatehouse;
  before(async () => {
    db = await makeDatabase();
    upstream = await startUpstream('app');
    gh = await startFullGatehouse(db, { app: upstream.url }, ROUTES, {
      sessions: { cookie: { secure: false, name: 'gh_session' } },
      auth: {
        local: { registration: 'open' },
        throttle: { max_failures_per_account: 5, max_failures_per_ip: 1000, window: '1m' },
      },
    });
  });
  after(async () => {
    await gh?.stop();
    await upstream?.close();
    await db?.drop();
  });

  test('25 wrong passwords for a 320-character address: counted, then 429 with Retry-After; never a 500', async () => {
    assert.equal(LOGIN_320.length, 320);
    const statuses: number[] = [];
    let lastRetryAfter: string | undefined;
    for (let i = 0; i < 25; i++) {
      const res = await new Client(gh.port).request('POST', '/.gatehouse/login', { json: { email: LOGIN_320, password: `wrong ${i}` } });
      statuses.push(res.status);
      if (res.status === 429) lastRetryAfter = String(res.headers['retry-after']);
    }
    assert.ok(statuses.every((s) => s === 401 || s === 429), `only 401 and 429, got ${statuses.join(',')}`);
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401], 'the first five are tried');
    assert.ok(statuses.includes(429), `the account is throttled after five failures: ${statuses.join(',')}`);
    assert.ok(Number(lastRetryAfter) >= 1, 'Retry-After on the 429');
  });

  test('a 254-character address registers, signs in and is throttled like any other', async () => {
    const email = REGISTER_254('reg');
    assert.equal(email.length, 254);
    const reg = await new Client(gh.port).request('POST', '/.gatehouse/register', { json: { email, password: PASSWORD, name: 'n'.repeat(200) } });
    assert.equal(reg.status, 202, reg.body);
    const login = await new Client(gh.port).request('POST', '/.gatehouse/login', { json: { email: email.toUpperCase(), password: PASSWORD } });
    assert.equal(login.status, 200, login.body);
    assert.equal(JSON.parse(login.body).user.name, 'n'.repeat(200));
    const wrong = await new Client(gh.port).request('POST', '/.gatehouse/login', { json: { email, password: 'not it at all' } });
    assert.equal(wrong.status, 401, wrong.body);
  });

  test('a counter the database refuses to write: 503 with Retry-After, logged and counted, never a 500', async () => {
    for (const sql of refuseCounterWrites(driver)) await db.exec(sql);
    try {
      const before = sample(await scrape(gh.adminPort), 'gatehouse_login_throttle_errors_total') ?? 0;
      const res = await new Client(gh.port).request('POST', '/.gatehouse/login', { json: { email: 'refused@example.com', password: 'wrong one' } });
      assert.equal(res.status, 503, res.body);
      assert.equal(JSON.parse(res.body).code, 'GATE_ERR_THROTTLE_UNAVAILABLE');
      assert.ok(Number(res.headers['retry-after']) >= 1, 'Retry-After');
      // Fail closed: for a few seconds no password is tried on this replica (an uncounted guess is not a guess).
      const next = await new Client(gh.port).request('POST', '/.gatehouse/login', { json: { email: 'refused@example.com', password: 'another' } });
      assert.equal(next.status, 503, next.body);
      const after = sample(await scrape(gh.adminPort), 'gatehouse_login_throttle_errors_total') ?? 0;
      assert.ok(after >= before + 1, `counted (${before} -> ${after})`);
    } finally {
      for (const sql of allowCounterWrites(driver)) await db.exec(sql);
    }
  });
});

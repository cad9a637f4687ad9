// Issue 12 §3, "PostgreSQL: a NUL byte is a 500": `{"email":"a\u0000b@x.test"}` on login, and a page cursor carrying
// \u0000, reached the database, which refuses NUL in text. One guard (src/http/input-guard.ts) now refuses control
// characters in every string field of every JSON or form body and every query parameter of Gatehouse's own
// endpoints, with 400 naming the field; a cursor's decoded id is checked the same way. Passwords are exempt (any
// Unicode is a password). On every driver; PostgreSQL is the one that answered 500.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { api, approvedOrg, platformOwner, signUp, startApiWorld, type ApiWorld, type TestUser } from '../api/api-helpers.js';
import { send } from '../helpers/core-net.js';

const NUL_EMAIL = 'a\u0000b@x.test';

await describeEachDriver('control characters are refused at the edge with 400 naming the field', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let world: ApiWorld;
  let po: TestUser;
  let owner: TestUser;
  let org: string;

  before(async () => {
    db = await makeDatabase();
    world = await startApiWorld(db, { mail: { file: { path: mkdtempSync(join(tmpdir(), 'gh-mail-')) } } });
    po = await platformOwner(world.gh);
    owner = await signUp(world.gh, 'owner');
    org = await approvedOrg(world.gh, owner, po, `ctl-${randomUUID().slice(0, 6)}`);
  });
  after(async () => {
    await world?.stop();
    await db?.drop();
  });

  function assertRefused(res: { status: number; json: { error?: string; field?: string; code?: string } | undefined; text: string }, field: string): void {
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json?.field, field, res.text);
    assert.equal(res.json?.code, 'GATE_ERR_CONTROL_CHARACTER', res.text);
  }

  test('login, register and reset with a NUL in the email: 400 naming email (JSON and form)', async () => {
    const port = world.gh.port;
    assertRefused(await api(port, undefined, 'POST', '/.gatehouse/login', { json: { email: NUL_EMAIL, password: 'whatever it is' } }), 'email');
    assertRefused(await api(port, undefined, 'POST', '/.gatehouse/register', { json: { email: NUL_EMAIL, password: 'a long enough passphrase' } }), 'email');
    assertRefused(await api(port, undefined, 'POST', '/.gatehouse/forgot-password', { json: { email: NUL_EMAIL } }), 'email');
    const form = await send(port, {
      method: 'POST', path: '/.gatehouse/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://127.0.0.1' },
      body: new URLSearchParams({ email: NUL_EMAIL, password: 'x' }).toString(),
    });
    assert.equal(form.status, 400, form.body);
    assert.equal(JSON.parse(form.body).field, 'email');
    // C1 controls and other C0 controls too, in any field.
    assertRefused(await api(port, undefined, 'POST', '/.gatehouse/register', { json: { email: 'c1@x.test', password: 'a long enough passphrase', name: 'next\u0085line' } }), 'name');
    assertRefused(await api(port, undefined, 'POST', '/.gatehouse/login', { json: { email: 'tab\t@x.test', password: 'x' } }), 'email');
  });

  test('a password may hold any character: refused as a wrong password (401), not as input', async () => {
    const res = await api(world.gh.port, undefined, 'POST', '/.gatehouse/login', { json: { email: owner.email, password: 'pass\u0000word\u0007' } });
    assert.equal(res.status, 401, res.text);
  });

  test('member add by email, nested fields and keys, and query parameters: 400 naming the field', async () => {
    const port = world.gh.port;
    assertRefused(await api(port, owner.token, 'POST', `/orgs/${org}/members`, { json: { email: NUL_EMAIL, role: 'member' } }), 'email');
    assertRefused(await api(port, owner.token, 'POST', '/orgs', { json: { slug: 'fine', name: 'Acme\u0000' } }), 'name');
    assertRefused(await api(port, owner.token, 'POST', `/orgs/${org}/webhooks`, { json: { url: 'https://example.com/h', events: ['user.login', 'member.\u0000'] } }), 'events[1]');
    assertRefused(await api(port, po.token, 'GET', '/audit?actor=a%00b'), 'actor');
    assertRefused(await api(port, undefined, 'GET', '/.gatehouse/login?rd=%2F%00x'), 'rd');
  });

  test('a page cursor carrying \\u0000: 400 naming cursor (raw in the query, or inside the encoded cursor)', async () => {
    const port = world.gh.port;
    assertRefused(await api(port, po.token, 'GET', '/users?cursor=%00'), 'cursor');
    const forged = Buffer.from(JSON.stringify([1_700_000_000_000, 'a\u0000b'])).toString('base64url');
    for (const path of [`/users?cursor=${forged}`, `/orgs?cursor=${forged}`, `/orgs/${org}/members?cursor=${forged}`, `/audit?cursor=${forged}`]) {
      const res = await api(port, po.token, 'GET', path);
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      assert.equal(res.json?.field, 'cursor', path);
    }
  });
});

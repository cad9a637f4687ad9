// Issue 12 §3, "Enumeration": adding a member by email answered 201 for an address with an account and 404 for one
// without, so any org admin could learn who has an account. Now it mails an invitation and answers 202 alike for
// both (and adds nobody); the person joins by accepting it, signed in with that address confirmed. On every driver,
// with mail going to a real SMTP server on loopback.
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.js';
import { api, approvedOrg, platformOwner, signUp, startApiWorld, type ApiWorld, type TestUser, PASSWORD } from './api-helpers.js';

await describeEachDriver('member-add by email does not reveal accounts', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let smtp: SmtpCapture;
  let world: ApiWorld;
  let owner: TestUser;
  let org: string;
  before(async () => {
    db = await makeDatabase();
    smtp = await startSmtpCapture();
    world = await startApiWorld(db, {
      mail: { smtp: { url: smtp.url, from: 'Gatehouse <no-reply@example.test>', require_tls: false, timeout: '5s' }, outbox: { poll_interval: '50ms' } },
      accounts: { encryption_key: 'an accounts key for the tests, long enough' },
    });
    const po = await platformOwner(world.gh);
    owner = await signUp(world.gh, 'owner');
    org = await approvedOrg(world.gh, owner, po, `inv-${randomUUID().slice(0, 6)}`);
  });
  after(async () => {
    await world?.stop();
    await smtp?.close();
    await db?.drop();
  });

  const members = async (): Promise<string[]> =>
    (await api(world.gh.port, owner.token, 'GET', `/orgs/${org}/members`)).json.items.map((m: { user_id: string }) => m.user_id).sort();

  test('a known and an unknown address get the same answer, the same mail, and no membership', async () => {
    const known = await signUp(world.gh, 'known');
    const unknown = `nobody-${randomUUID().slice(0, 8)}@example.com`;
    const before = await members();
    const a = await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/members`, { json: { email: known.email, role: 'member' } });
    const b = await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/members`, { json: { email: unknown, role: 'member' } });
    assert.equal(a.status, 202, a.text);
    assert.equal(b.status, a.status, b.text);
    assert.deepEqual(Object.keys(b.json).sort(), Object.keys(a.json).sort());
    assert.deepEqual({ ...a.json, email: '', token: '', expires_at: '' }, { ...b.json, email: '', token: '', expires_at: '' });
    assert.deepEqual(await members(), before, 'nobody was added');
    for (const to of [known.email, unknown]) {
      const mail = await smtp.waitFor(to, /invited/);
      assert.match(mail.text, /accept/);
    }
  });

  test('the invited person joins by accepting, signed in with the confirmed address; nobody else can', async () => {
    const email = `later-${randomUUID().slice(0, 8)}@example.com`;
    const invited = await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/members`, { json: { email, role: 'admin' } });
    assert.equal(invited.status, 202, invited.text);
    const token = invited.json.token as string;
    // Someone else, even signed in and confirmed, cannot take it.
    const other = await signUp(world.gh, 'other');
    await world.gh.store.users.update(other.id, { emailVerifiedAt: new Date() });
    assert.equal((await api(world.gh.port, other.token, 'POST', '/invitations/accept', { json: { token } })).status, 403);
    // The person registers after the invitation; an unconfirmed address is not enough.
    const reg = await api(world.gh.port, undefined, 'POST', '/.gatehouse/register', { json: { email, password: PASSWORD } });
    assert.equal(reg.status, 202, reg.text);
    const login = await api(world.gh.port, undefined, 'POST', '/.gatehouse/login', { json: { email, password: PASSWORD } });
    const person = { id: login.json.user.id as string, token: login.json.token as string };
    assert.equal((await api(world.gh.port, person.token, 'POST', '/invitations/accept', { json: { token } })).status, 403);
    await world.gh.store.users.update(person.id, { emailVerifiedAt: new Date() });
    const joined = await api(world.gh.port, person.token, 'POST', '/invitations/accept', { json: { token } });
    assert.equal(joined.status, 201, joined.text);
    assert.equal(joined.json.role, 'admin');
    assert.ok((await members()).includes(person.id));
    assert.equal((await api(world.gh.port, person.token, 'POST', '/invitations/accept', { json: { token } })).status, 404, 'used once');
  });
});

// Issue 13, section 4: on SQLite every write transaction of the SSO API, of login and of session creation reaches
// the writer thread as ONE message (BEGIN IMMEDIATE, the whole body and COMMIT run there), so the write lock is never
// held across turns of the main thread's event loop. Counted with the driver's own counters (store.writerStats):
// for each request, every write transaction it started, and every background write it caused (audit batch, webhook
// delivery, last-seen), sent exactly one message. A control shows the counter tells the old conversation apart.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sqliteDatabase } from '../store/databases.js';
import type { TestDatabase } from '../helpers/drivers.js';
import { eventually } from '../helpers/core-net.js';
import { oneMessagePerTransaction, writerStats } from '../helpers/writer-messages.js';
import { api, logIn, platformOwner, Receiver, signUp, startApiWorld, type ApiWorld, type TestUser } from './api-helpers.js';

describe('SQLite: one writer message per write transaction', () => {
  let db: TestDatabase;
  let world: ApiWorld;
  let po: TestUser;
  let owner: TestUser;
  let receiver: Receiver;

  before(async () => {
    db = sqliteDatabase();
    receiver = await new Receiver().start();
    world = await startApiWorld(db, { audit: { flush_interval: '20ms' } });
    po = await platformOwner(world.gh);
    owner = await signUp(world.gh, 'owner');
  });
  after(async () => {
    await world?.stop();
    await receiver?.close();
    await db?.drop();
  });

  const stats = (): { transactions: number; messages: number } => writerStats(world.gh.store);
  const oneMessageEach = <T>(what: string, request: () => Promise<T>, atLeast = 1): Promise<T> => oneMessagePerTransaction(world.gh.store)(what, request, atLeast);

  test('control: an interactive store.transaction is a conversation of several messages (what the counter catches)', async () => {
    const before = stats();
    await world.gh.store.transaction(async (tx) => {
      const org = await tx.orgs.create({ slug: `control-${Date.now()}`, name: 'control', createdBy: owner.id });
      await tx.memberships.add({ orgId: org.id, userId: owner.id, role: 'owner' });
    });
    const after = stats();
    // BEGIN, INSERT organization, INSERT membership, INSERT change_feed, COMMIT: 4 messages more than transactions
    // (a background write landing meanwhile, an audit batch say, adds one of each).
    assert.ok(after.transactions - before.transactions >= 1);
    assert.equal((after.messages - before.messages) - (after.transactions - before.transactions), 4);
  });

  test('register, login, logout, session listing and ending', async () => {
    const user = await signUp(world.gh, 'reg');
    const second = await oneMessageEach('login (session create)', () => logIn(world.gh, user.email));
    const third = await oneMessageEach('login again', () => logIn(world.gh, user.email));
    const sessions = await api(world.gh.port, user.token, 'GET', '/me/sessions');
    assert.equal(sessions.status, 200);
    const other = (sessions.json.items as { id: string; current: boolean }[]).find((s) => !s.current)!;
    await oneMessageEach('DELETE /me/sessions/:id', async () => {
      assert.equal((await api(world.gh.port, user.token, 'DELETE', `/me/sessions/${other.id}`)).status, 204);
    });
    await oneMessageEach('DELETE /me/sessions', async () => {
      assert.equal((await api(world.gh.port, second, 'DELETE', '/me/sessions')).status, 200);
    });
    await oneMessageEach('logout', async () => {
      assert.equal((await api(world.gh.port, third, 'POST', '/.gatehouse/logout', { json: {} })).status, 204);
    });
  });

  test('organizations, members and webhooks: every SSO API write', async () => {
    const member = await signUp(world.gh, 'member');
    const slug = `one-msg-${Date.now()}`;
    const org = await oneMessageEach('POST /orgs', async () => {
      const res = await api(world.gh.port, owner.token, 'POST', '/orgs', { json: { slug, name: slug } });
      assert.equal(res.status, 201, res.text);
      return res.json.id as string;
    });
    await oneMessageEach('POST /orgs/:org/approve', async () => {
      assert.equal((await api(world.gh.port, po.token, 'POST', `/orgs/${org}/approve`)).status, 200);
    });
    await oneMessageEach('POST /orgs/:org/suspend', async () => {
      assert.equal((await api(world.gh.port, po.token, 'POST', `/orgs/${org}/suspend`)).status, 200);
    });
    await oneMessageEach('POST /orgs/:org/approve again', async () => {
      assert.equal((await api(world.gh.port, po.token, 'POST', `/orgs/${org}/approve`)).status, 200);
    });
    const hook = await oneMessageEach('POST /orgs/:org/webhooks', async () => {
      const res = await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/webhooks`, { json: { url: receiver.url, events: ['*'] } });
      assert.equal(res.status, 201, res.text);
      receiver.secret = res.json.secret;
      return res.json.id as string;
    });
    const delivered = receiver.received.length;
    await oneMessageEach('POST /orgs/:org/members (and its webhook delivery)', async () => {
      const res = await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/members`, { json: { user_id: member.id, role: 'member' } });
      assert.equal(res.status, 201, res.text);
      await eventually(5000, 'the member.added delivery', () => receiver.received.length > delivered || undefined);
    });
    await oneMessageEach('login of a member of an approved org (user.login webhooks)', () => logIn(world.gh, member.email));
    await oneMessageEach('PATCH /orgs/:org/members/:user', async () => {
      assert.equal((await api(world.gh.port, owner.token, 'PATCH', `/orgs/${org}/members/${member.id}`, { json: { role: 'admin' } })).status, 200);
    });
    await oneMessageEach('PATCH /orgs/:org/members/:user refused (last owner)', async () => {
      const res = await api(world.gh.port, owner.token, 'PATCH', `/orgs/${org}/members/${owner.id}`, { json: { role: 'member' } });
      assert.equal(res.status, 409, res.text);
      assert.equal(res.json.field, 'role', 'the error thrown in the writer thread keeps its class and field');
    });
    await oneMessageEach('DELETE /orgs/:org/members/:user', async () => {
      assert.equal((await api(world.gh.port, owner.token, 'DELETE', `/orgs/${org}/members/${member.id}`)).status, 204);
    });
    await oneMessageEach('PATCH /orgs/:org/webhooks/:id', async () => {
      assert.equal((await api(world.gh.port, owner.token, 'PATCH', `/orgs/${org}/webhooks/${hook}`, { json: { events: ['member.added'] } })).status, 200);
    });
    await oneMessageEach('POST /orgs/:org/webhooks/:id/test', async () => {
      assert.equal((await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/webhooks/${hook}/test`)).status, 202);
    });
    await oneMessageEach('DELETE /orgs/:org/webhooks/:id', async () => {
      assert.equal((await api(world.gh.port, owner.token, 'DELETE', `/orgs/${org}/webhooks/${hook}`)).status, 204);
    });
    const invitee = await signUp(world.gh, 'invitee');
    const invitation = await oneMessageEach('POST /orgs/:org/members by email (the invitation and its mail)', async () => {
      const res = await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/members`, { json: { email: invitee.email, role: 'member' } });
      assert.equal(res.status, 202, res.text);
      return res.json.token as string;
    });
    await world.gh.store.users.update(invitee.id, { emailVerifiedAt: new Date() });
    await oneMessageEach('POST /invitations/accept', async () => {
      const res = await api(world.gh.port, invitee.token, 'POST', '/invitations/accept', { json: { token: invitation } });
      assert.equal(res.status, 201, res.text);
    });
    const taken = await api(world.gh.port, owner.token, 'POST', '/orgs', { json: { slug, name: 'again' } });
    assert.equal(taken.status, 409, 'a ConflictError from the writer thread is still a ConflictError');
  });

  test('platform owner user management', async () => {
    const u = await signUp(world.gh, 'managed');
    await oneMessageEach('PATCH /users/:user', async () => {
      assert.equal((await api(world.gh.port, po.token, 'PATCH', `/users/${u.id}`, { json: { roles: ['auditor'] } })).status, 200);
    });
    await oneMessageEach('DELETE /users/:user/sessions', async () => {
      assert.equal((await api(world.gh.port, po.token, 'DELETE', `/users/${u.id}/sessions`)).status, 200);
    });
    await oneMessageEach('POST /users/:user/disable', async () => {
      assert.equal((await api(world.gh.port, po.token, 'POST', `/users/${u.id}/disable`)).status, 200);
    });
  });
});

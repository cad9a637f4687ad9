// Issue 13, section 4, for OAuth account linking: on SQLite a first login that creates the user and its link, and one
// that links a new subject to the local account with its verified email (ending its sessions, dropping its password),
// each write their transaction in ONE writer message (named operations, src/auth/write-ops.ts), as does every other
// write of the login (the session, audit, roles). Against a real OpenID provider (test/helpers/oidc-provider.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sqliteDatabase } from '../store/databases.js';
import { OAuthAgent } from '../helpers/oidc-agent.js';
import { oneMessagePerTransaction } from '../helpers/writer-messages.js';
import { login, startWorld, type OAuthWorld } from './fixture.js';

describe('SQLite: one writer message per write transaction of OAuth account linking', () => {
  let world: OAuthWorld;

  before(async () => { world = await startWorld(sqliteDatabase()); });
  after(async () => {
    await world?.close();
    await world?.db.drop();
  });

  const oneMessageEach = <T>(what: string, request: () => Promise<T>, atLeast = 1): Promise<T> => oneMessagePerTransaction(world.gh.store, 250)(what, request, atLeast);

  test('a new user created with its link; a new subject linked to an existing account by verified email', async () => {
    await oneMessageEach('first OAuth login (user and link created, session)', async () => {
      const done = await login(world, new OAuthAgent(), 'corp', 'newcomer');
      assert.equal(done.status, 303, done.body);
    }, 2);
    const user = await world.gh.store.users.getByEmail('newcomer@example.com');
    assert.ok(user, 'the user was created');
    assert.deepEqual((await world.gh.store.identities.listForUser(user.id)).map((l) => l.provider), ['corp']);

    const local = await world.gh.store.users.create({ email: 'prior@example.com', name: 'Prior', passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA', roles: [] });
    world.idp.accounts.set('prior', { email: 'prior@example.com', email_verified: true, groups: ['staff'] });
    await oneMessageEach('OAuth login linking by verified email (link, sessions ended, password dropped)', async () => {
      const done = await login(world, new OAuthAgent(), 'linking', 'prior');
      assert.equal(done.status, 303, done.body);
    }, 2);
    assert.equal((await world.gh.store.users.get(local.id))!.passwordHash, null, 'the password was dropped');
    assert.deepEqual((await world.gh.store.identities.listForUser(local.id)).map((l) => `${l.provider}:${l.subject}`), ['linking:prior']);
  });
});

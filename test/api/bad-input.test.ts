// Bad input: malformed JSON, wrong types, unknown fields (mass assignment), bad slugs and URLs, oversized bodies,
// unknown ids, wrong content types, cross-site origins, bad query strings. Each is a 4xx with a JSON body naming
// the field, and a failed request changes nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { api, approvedOrg, platformOwner, signUp, startApiWorld, type ApiWorld, type TestUser } from './api-helpers.js';

await describeEachDriver('SSO API bad input', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let world: ApiWorld;
  let po: TestUser;
  let owner: TestUser;
  let org: string;

  before(async () => {
    db = await makeDatabase();
    world = await startApiWorld(db);
    po = await platformOwner(world.gh);
    owner = await signUp(world.gh, 'owner');
    org = await approvedOrg(world.gh, owner, po, 'badinput');
  });
  after(async () => {
    await world?.stop();
    await db?.drop();
  });

  /** Everything a bad request could have written to. */
  async function snapshot() {
    const { store } = world.gh;
    return JSON.stringify([
      (await store.orgs.list({ limit: 500 })).items, (await store.memberships.listForOrg(org, { limit: 500 })).items,
      (await store.webhooks.listForOrg(org, { limit: 500 })).items, (await store.users.get(owner.id))?.roles,
    ]);
  }

  test('400 naming the field for malformed JSON, wrong types, unknown fields, bad slugs and URLs; nothing written', async () => {
    const before = await snapshot();
    const cases: [string, string, { json?: unknown; raw?: string }, string][] = [
      ['POST', '/orgs', { raw: '{"slug": "x",' }, 'body'],
      ['POST', '/orgs', { raw: '["slug"]' }, 'body'],
      ['POST', '/orgs', { raw: 'null' }, 'body'],
      ['POST', '/orgs', { json: { slug: 42, name: 'x' } }, 'slug'],
      ['POST', '/orgs', { json: { slug: 'ok-slug' } }, 'name'],
      ['POST', '/orgs', { json: { slug: 'ok-slug', name: '   ' } }, 'name'],
      ['POST', '/orgs', { json: { slug: 'Bad_Slug', name: 'x' } }, 'slug'],
      ['POST', '/orgs', { json: { slug: '-dash', name: 'x' } }, 'slug'],
      ['POST', '/orgs', { json: { slug: 'a:b', name: 'x' } }, 'slug'],
      ['POST', '/orgs', { json: { slug: 'a'.repeat(64), name: 'x' } }, 'slug'],
      ['POST', '/orgs', { json: { slug: 'ok-slug', name: 'x', status: 'approved' } }, 'status'],
      ['POST', '/orgs', { json: { slug: 'ok-slug', name: 'x', id: 'mine' } }, 'id'],
      ['POST', '/orgs', { json: { slug: 'ok-slug', name: 'x\u0000y' } }, 'name'],
      ['POST', `/orgs/${org}/members`, { json: { user_id: po.id, role: 'superuser' } }, 'role'],
      ['POST', `/orgs/${org}/members`, { json: { user_id: po.id, email: po.email, role: 'member' } }, 'email'],
      ['POST', `/orgs/${org}/members`, { json: { role: 'member' } }, 'user_id'],
      ['POST', `/orgs/${org}/members`, { json: { user_id: po.id, role: 'member', org_id: 'other' } }, 'org_id'],
      ['PATCH', `/orgs/${org}/members/${owner.id}`, { json: { role: ['owner'] } }, 'role'],
      ['POST', `/orgs/${org}/webhooks`, { json: { url: 'ftp://example.com/', events: ['member.added'] } }, 'url'],
      ['POST', `/orgs/${org}/webhooks`, { json: { url: 'http://user:pw@127.0.0.1:9/', events: ['member.added'] } }, 'url'],
      ['POST', `/orgs/${org}/webhooks`, { json: { url: 'not a url', events: ['member.added'] } }, 'url'],
      ['POST', `/orgs/${org}/webhooks`, { json: { url: 'http://127.0.0.1:9/', events: [] } }, 'events'],
      ['POST', `/orgs/${org}/webhooks`, { json: { url: 'http://127.0.0.1:9/', events: ['nope'] } }, 'events[0]'],
      ['POST', `/orgs/${org}/webhooks`, { json: { url: 'http://127.0.0.1:9/', events: 'member.added' } }, 'events'],
      ['POST', `/orgs/${org}/webhooks`, { json: { url: 'http://127.0.0.1:9/', events: ['*'], active: 'yes' } }, 'active'],
      ['POST', `/orgs/${org}/webhooks`, { json: { url: 'http://127.0.0.1:9/', events: ['*'], secret: 'chosen' } }, 'secret'],
      ['POST', `/orgs/${org}/approve`, { json: { status: 'approved' } }, 'status'],
      ['PATCH', `/users/${owner.id}`, { json: { roles: ['platform_owner'], disabled: false } }, 'disabled'],
      ['PATCH', `/users/${owner.id}`, { json: { roles: 'platform_owner' } }, 'roles'],
      ['PATCH', `/users/${owner.id}`, { json: { roles: ['has space'] } }, 'roles[0]'],
    ];
    for (const [method, path, options, field] of cases) {
      const token = path.startsWith('/users') || path.endsWith('/approve') ? po.token : owner.token;
      const res = await api(world.gh.port, token, method, path, options);
      assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(options)}: ${res.text}`);
      assert.equal(res.json.error, 'invalid_request');
      assert.equal(res.json.field, field, `${method} ${path} ${JSON.stringify(options)}`);
      assert.equal(typeof res.json.message, 'string');
    }
    assert.equal(await snapshot(), before, 'nothing was written');
  });

  test('413 for oversized bodies, 415 for other content types, 403 for a cross-site Origin; nothing written', async () => {
    const before = await snapshot();
    const big = await api(world.gh.port, owner.token, 'POST', '/orgs', { raw: JSON.stringify({ slug: 'big', name: 'x'.repeat(100_000) }), headers: { 'content-type': 'application/json' } });
    assert.equal(big.status, 413);
    assert.equal(big.json.error, 'payload_too_large');
    const form = await api(world.gh.port, owner.token, 'POST', '/orgs', { raw: 'slug=x&name=y', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 415);
    const text = await api(world.gh.port, owner.token, 'POST', '/orgs', { raw: '{"slug":"x","name":"y"}', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 415, 'a text/plain "simple request" cannot be forged cross-site');
    const cross = await api(world.gh.port, owner.token, 'POST', '/orgs', { json: { slug: 'xsite', name: 'y' }, headers: { origin: 'https://evil.example' } });
    assert.equal(cross.status, 403);
    assert.equal(cross.json.error, 'csrf');
    const nullOrigin = await api(world.gh.port, owner.token, 'DELETE', '/me/sessions', { headers: { origin: 'null', 'content-type': 'application/json' } });
    assert.equal(nullOrigin.status, 403);
    assert.equal(await snapshot(), before);
  });

  test('404 for unknown ids (well-formed or not), 405 for other methods, 400 for bad query strings, 409 for a taken slug', async () => {
    for (const path of [`/orgs/${'0'.repeat(8)}-0000-0000-0000-000000000000`, '/orgs/x.y!z', `/orgs/${org}/members/nobody`, `/orgs/${org}/webhooks/nope/deliveries`, '/users/unknown/disable', '/nothing/here', '/orgs/']) {
      const method = path.endsWith('disable') ? 'POST' : 'GET';
      const res = await api(world.gh.port, path.startsWith('/users') ? po.token : owner.token, method, path);
      assert.equal(res.status, path.includes('/members/nobody') ? 405 : 404, `${path}: ${res.text}`);
    }
    const unknownMember = await api(world.gh.port, owner.token, 'PATCH', `/orgs/${org}/members/nobody`, { json: { role: 'admin' } });
    assert.equal(unknownMember.status, 404);
    // By email, an unknown address is invited like a known one (no enumeration: test/api/invitations.test.ts).
    const unknownUser = await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/members`, { json: { email: 'ghost@example.com', role: 'member' } });
    assert.equal(unknownUser.status, 202, unknownUser.text);
    const unknownId = await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/members`, { json: { user_id: 'nobody', role: 'member' } });
    assert.equal(unknownId.status, 404);
    assert.equal(unknownId.json.field, 'user_id');
    const put = await api(world.gh.port, owner.token, 'PUT', `/orgs/${org}`, { json: {} });
    assert.equal(put.status, 405);
    assert.match(String(put.headers.allow), /GET/);
    for (const [q, field] of [['limit=0', 'limit'], ['limit=501', 'limit'], ['limit=abc', 'limit'], ['cursor=garbage', 'cursor'], ['status=weird', 'status'], ['foo=1', 'foo'], ['limit=1&limit=2', 'limit']]) {
      const res = await api(world.gh.port, owner.token, 'GET', `/orgs?${q}`);
      assert.equal(res.status, 400, q);
      assert.equal(res.json.field, field, q);
    }
    assert.equal((await api(world.gh.port, po.token, 'GET', '/audit?since=yesterday')).json.field, 'since');
    const before = await snapshot();
    const dup = await api(world.gh.port, owner.token, 'POST', '/orgs', { json: { slug: 'badinput', name: 'again' } });
    assert.equal(dup.status, 409);
    assert.equal(dup.json.field, 'slug');
    assert.equal(await snapshot(), before, 'no orphan membership from the failed create');
    const again = await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/members`, { json: { user_id: owner.id, role: 'member' } });
    assert.equal(again.status, 409, 'already a member');
    assert.equal((await world.gh.store.memberships.get(org, owner.id))?.role, 'owner');
  });

  test('webhooks per organization are bounded; secrets rotate and are shown once', async () => {
    const created = await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/webhooks`, { json: { url: 'http://127.0.0.1:9/a', events: ['*'] } });
    assert.equal(created.status, 201);
    const rotated = await api(world.gh.port, owner.token, 'PATCH', `/orgs/${org}/webhooks/${created.json.id}`, { json: { rotate_secret: true } });
    assert.match(rotated.json.secret, /^whsec_/);
    assert.notEqual(rotated.json.secret, created.json.secret);
    const empty = await api(world.gh.port, owner.token, 'PATCH', `/orgs/${org}/webhooks/${created.json.id}`, { json: {} });
    assert.equal(empty.status, 400);
    const small = await startApiWorld(db, { webhooks: { max_per_org: 1 } });
    try {
      const res = await api(small.gh.port, owner.token, 'POST', `/orgs/${org}/webhooks`, { json: { url: 'http://127.0.0.1:9/b', events: ['*'] } });
      assert.equal(res.status, 409, res.text);
    } finally {
      await small.stop();
    }
  });
});

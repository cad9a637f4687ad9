// The organization life cycle end to end, through routes that require the organization: the upstream sees the
// right X-Auth-Orgs before and after approval, after role changes, after suspension and removal, at once on this
// replica. Also: the owner rules, IDOR across organizations, and the audit trail with its filters and paging.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { send } from '../helpers/core-net.js';
import { api, approvedOrg, platformOwner, signUp, startApiWorld, type ApiWorld, type TestUser } from './api-helpers.js';

await describeEachDriver('SSO API organization life cycle', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let world: ApiWorld;
  let po: TestUser;

  before(async () => {
    db = await makeDatabase();
    world = await startApiWorld(db);
    po = await platformOwner(world.gh);
  });
  after(async () => {
    await world?.stop();
    await db?.drop();
  });

  /** GETs a proxied path as `user` (with a forged X-Auth-Orgs) and returns the status and what the upstream saw. */
  async function visit(user: TestUser, path: string): Promise<{ status: number; orgs: string | undefined }> {
    const before = world.upstream.requests.length;
    const res = await send(world.gh.port, { path, headers: { authorization: `Bearer ${user.token}`, 'x-auth-orgs': 'acme:owner,evil:owner' } });
    const seen = world.upstream.requests.slice(before).at(-1);
    if (res.status === 200) assert.ok(seen, 'the upstream was reached');
    else assert.equal(seen, undefined, 'a refused request never reaches the upstream');
    return { status: res.status, orgs: seen?.headers['x-auth-orgs'] as string | undefined };
  }

  test('request, approve, members, roles, suspend, reinstate, remove: X-Auth-Orgs and org policies follow at once', async () => {
    const owner = await signUp(world.gh, 'owner');
    const m = await signUp(world.gh, 'member');
    const created = await api(world.gh.port, owner.token, 'POST', '/orgs', { json: { slug: 'acme', name: 'Acme' } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.status, 'pending');
    assert.equal(created.json.my_role, 'owner');
    const org = created.json.id as string;

    assert.deepEqual(await visit(owner, '/private/x'), { status: 200, orgs: '' }, 'pending grants nothing; a forged header is replaced');
    assert.equal((await visit(owner, '/acme/x')).status, 403);

    assert.equal((await api(world.gh.port, po.token, 'POST', `/orgs/${org}/approve`)).status, 200);
    assert.deepEqual(await visit(owner, '/acme/x'), { status: 200, orgs: 'acme:owner' });
    assert.equal((await visit(owner, '/acme-admin/x')).status, 200);

    const add = await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/members`, { json: { user_id: m.id, role: 'member' } });
    assert.equal(add.status, 201, add.text);
    assert.deepEqual(await visit(m, '/acme/x'), { status: 200, orgs: 'acme:member' });
    assert.equal((await visit(m, '/acme-admin/x')).status, 403, 'org_roles: owner or admin only');

    assert.equal((await api(world.gh.port, owner.token, 'PATCH', `/orgs/${org}/members/${m.id}`, { json: { role: 'admin' } })).status, 200);
    assert.deepEqual(await visit(m, '/acme-admin/x'), { status: 200, orgs: 'acme:admin' });

    assert.equal((await api(world.gh.port, po.token, 'POST', `/orgs/${org}/suspend`)).status, 200);
    assert.equal((await visit(owner, '/acme/x')).status, 403, 'suspension bites at once');
    assert.equal((await visit(m, '/acme/x')).status, 403);
    assert.deepEqual(await visit(m, '/private/x'), { status: 200, orgs: '' });
    const hooks = await api(world.gh.port, m.token, 'GET', `/orgs/${org}/webhooks`);
    assert.equal(hooks.status, 403, 'a suspended org cannot be managed');

    assert.equal((await api(world.gh.port, po.token, 'POST', `/orgs/${org}/suspend`)).status, 409, 'only an approved org can be suspended');
    assert.equal((await api(world.gh.port, po.token, 'POST', `/orgs/${org}/approve`)).status, 200, 'reinstated');
    assert.deepEqual(await visit(m, '/acme/x'), { status: 200, orgs: 'acme:admin' });

    assert.equal((await api(world.gh.port, owner.token, 'DELETE', `/orgs/${org}/members/${m.id}`)).status, 204);
    assert.equal((await visit(m, '/acme/x')).status, 403, 'removal bites at once');

    const mine = await api(world.gh.port, owner.token, 'GET', '/orgs');
    assert.deepEqual(mine.json.items.map((o: { slug: string }) => o.slug), ['acme']);
    const me = await api(world.gh.port, owner.token, 'GET', '/.gatehouse/me');
    assert.deepEqual(me.json.user.orgs, [{ slug: 'acme', role: 'owner' }]);
  });

  test('a rejected organization grants nothing and cannot be used', async () => {
    const owner = await signUp(world.gh, 'rej');
    const created = await api(world.gh.port, owner.token, 'POST', '/orgs', { json: { slug: 'rejected-co', name: 'R' } });
    assert.equal((await api(world.gh.port, po.token, 'POST', `/orgs/${created.json.id}/reject`)).json.status, 'rejected');
    assert.equal((await api(world.gh.port, po.token, 'POST', `/orgs/${created.json.id}/reject`)).status, 409);
    assert.deepEqual(await visit(owner, '/private/'), { status: 200, orgs: '' });
    assert.equal((await api(world.gh.port, owner.token, 'GET', `/orgs/${created.json.id}`)).json.status, 'rejected');
    assert.equal((await api(world.gh.port, owner.token, 'POST', `/orgs/${created.json.id}/webhooks`, { json: { url: 'http://127.0.0.1:9/', events: ['*'] } })).status, 403);
  });

  test('owners: only owners touch owners, and the last owner cannot leave or be demoted (nothing half-written)', async () => {
    const owner = await signUp(world.gh, 'o1');
    const admin = await signUp(world.gh, 'a1');
    const org = await approvedOrg(world.gh, owner, po);
    await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/members`, { json: { user_id: admin.id, role: 'admin' } });
    const demote = await api(world.gh.port, owner.token, 'PATCH', `/orgs/${org}/members/${owner.id}`, { json: { role: 'admin' } });
    assert.equal(demote.status, 409, demote.text);
    assert.equal(demote.json.field, 'role');
    assert.equal((await world.gh.store.memberships.get(org, owner.id))?.role, 'owner', 'the demotion was rolled back');
    assert.equal((await api(world.gh.port, owner.token, 'DELETE', `/orgs/${org}/members/${owner.id}`)).status, 409, 'the last owner cannot leave');
    assert.equal((await api(world.gh.port, admin.token, 'DELETE', `/orgs/${org}/members/${owner.id}`)).status, 403, 'an admin cannot remove an owner');
    assert.equal((await api(world.gh.port, admin.token, 'PATCH', `/orgs/${org}/members/${admin.id}`, { json: { role: 'owner' } })).status, 403, 'no self-promotion');
    assert.equal((await api(world.gh.port, owner.token, 'PATCH', `/orgs/${org}/members/${admin.id}`, { json: { role: 'owner' } })).status, 200);
    assert.equal((await api(world.gh.port, owner.token, 'DELETE', `/orgs/${org}/members/${owner.id}`)).status, 204, 'with another owner, leaving works');
    assert.equal((await api(world.gh.port, owner.token, 'GET', `/orgs/${org}`)).status, 404, 'gone means invisible');
  });

  test('IDOR: a webhook or member of another organization is 404 through this one', async () => {
    const a = await signUp(world.gh, 'ida');
    const b = await signUp(world.gh, 'idb');
    const orgA = await approvedOrg(world.gh, a, po);
    const orgB = await approvedOrg(world.gh, b, po);
    const hookB = await api(world.gh.port, b.token, 'POST', `/orgs/${orgB}/webhooks`, { json: { url: 'http://127.0.0.1:9/b', events: ['*'] } });
    assert.equal(hookB.status, 201);
    for (const [method, path] of [
      ['PATCH', `/orgs/${orgA}/webhooks/${hookB.json.id}`], ['DELETE', `/orgs/${orgA}/webhooks/${hookB.json.id}`],
      ['POST', `/orgs/${orgA}/webhooks/${hookB.json.id}/test`], ['GET', `/orgs/${orgA}/webhooks/${hookB.json.id}/deliveries`],
      ['PATCH', `/orgs/${orgA}/members/${b.id}`], ['DELETE', `/orgs/${orgA}/members/${b.id}`],
      ['GET', `/orgs/${orgB}/webhooks`], ['GET', `/orgs/${orgB}/members`], ['GET', `/orgs/${orgB}/audit`],
    ] as const) {
      const res = await api(world.gh.port, a.token, method, path, method === 'PATCH' ? { json: path.includes('members') ? { role: 'member' } : { active: false } } : {});
      assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
    }
    assert.equal((await world.gh.store.webhooks.get(hookB.json.id))?.active, true, 'untouched');
  });

  test('the audit trail: org events for owners and admins, the whole trail with filters and paging for platform owners', async () => {
    const owner = await signUp(world.gh, 'aud');
    const since = new Date(Date.now() - 1000).toISOString();
    const org = await approvedOrg(world.gh, owner, po);
    const m = await signUp(world.gh, 'audm');
    await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/members`, { json: { user_id: m.id, role: 'member' } });
    await new Promise((r) => setTimeout(r, 400)); // the audit writer flushes every 100 ms in tests
    const orgTrail = await api(world.gh.port, owner.token, 'GET', `/orgs/${org}/audit`);
    assert.equal(orgTrail.status, 200);
    assert.deepEqual(orgTrail.json.items.map((e: { action: string }) => e.action).sort(), ['member.added', 'org.approved', 'org.requested']);
    const added = await api(world.gh.port, po.token, 'GET', `/audit?action=member.added&actor=${owner.id}&since=${encodeURIComponent(since)}`);
    assert.deepEqual(added.json.items.map((e: { target: string }) => e.target), [m.id]);
    const p1 = await api(world.gh.port, po.token, 'GET', `/audit?org=${org}&limit=2`);
    assert.equal(p1.json.items.length, 2);
    assert.ok(p1.json.next_cursor);
    const p2 = await api(world.gh.port, po.token, 'GET', `/audit?org=${org}&limit=2&cursor=${encodeURIComponent(p1.json.next_cursor)}`);
    assert.equal(p2.json.items.length, 1);
    assert.equal(p2.json.next_cursor, null);
    const future = await api(world.gh.port, po.token, 'GET', `/audit?org=${org}&until=2000-01-01T00:00:00Z`);
    assert.deepEqual(future.json.items, []);
    assert.equal((await api(world.gh.port, m.token, 'GET', `/orgs/${org}/audit`)).status, 403, 'members do not read the audit trail');
  });
});

// The authorization matrix of issue 6: every endpoint against anonymous, member, org admin, org owner, a member of
// another organization and a platform owner, each with its expected status, generated from the one table below.
// A route the router knows but the table lacks fails the run, so a new endpoint cannot be added without its row.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { buildApiRouter } from '../../src/api/install-api.js';
import type { OrgStatus } from '../../src/store/store.js';
import { api, approvedOrg, platformOwner, signUp, startApiWorld, type ApiWorld, type TestUser } from './api-helpers.js';

type Actor = 'anonymous' | 'member' | 'admin' | 'owner' | 'outsider' | 'platform';
const ACTORS: Actor[] = ['anonymous', 'member', 'admin', 'owner', 'outsider', 'platform'];

/** What one cell gets to build its request from: a fresh organization (and friends) made for it alone. */
interface Fixture {
  org: string;
  webhook: string;
  /** A member of the org (role member) the request may act on, and a user outside it. */
  target: string;
  stranger: string;
  /** A second session of the acting user, and one of somebody else. */
  ownSession: string;
  otherSession: string;
}

interface Row {
  method: string;
  /** The router's pattern this row covers. */
  pattern: string;
  /** The concrete path; placeholders come from the fixture. */
  path: (f: Fixture) => string;
  body?: (f: Fixture) => unknown;
  orgStatus?: OrgStatus;
  note?: string;
  expect: [anonymous: number, member: number, admin: number, owner: number, outsider: number, platform: number];
}

const WEBHOOK_URL = 'http://127.0.0.1:9/hook';

// The one table. Columns: anonymous, member, admin, owner, member of another org, platform owner.
const ROWS: Row[] = [
  { method: 'GET', pattern: '/openapi.json', path: () => '/openapi.json', expect: [200, 200, 200, 200, 200, 200] },
  { method: 'POST', pattern: '/orgs', path: () => '/orgs', body: () => ({ slug: `m-${randomUUID().slice(0, 8)}`, name: 'New' }), expect: [401, 201, 201, 201, 201, 201] },
  { method: 'GET', pattern: '/orgs', path: () => '/orgs', expect: [401, 200, 200, 200, 200, 200] },
  { method: 'GET', pattern: '/orgs/:org', path: (f) => `/orgs/${f.org}`, expect: [401, 200, 200, 200, 404, 200] },
  { method: 'GET', pattern: '/orgs/:org', path: (f) => `/orgs/${f.org}`, orgStatus: 'pending', note: 'pending: members still see it', expect: [401, 200, 200, 200, 404, 200] },
  { method: 'GET', pattern: '/orgs/:org', path: () => `/orgs/${randomUUID()}`, note: 'unknown id', expect: [401, 404, 404, 404, 404, 404] },
  { method: 'POST', pattern: '/orgs/:org/approve', path: (f) => `/orgs/${f.org}/approve`, orgStatus: 'pending', expect: [401, 403, 403, 403, 404, 200] },
  { method: 'POST', pattern: '/orgs/:org/reject', path: (f) => `/orgs/${f.org}/reject`, orgStatus: 'pending', expect: [401, 403, 403, 403, 404, 200] },
  { method: 'POST', pattern: '/orgs/:org/suspend', path: (f) => `/orgs/${f.org}/suspend`, expect: [401, 403, 403, 403, 404, 200] },
  { method: 'POST', pattern: '/orgs/:org/approve', path: (f) => `/orgs/${f.org}/approve`, note: 'already approved', expect: [401, 403, 403, 403, 404, 409] },
  { method: 'GET', pattern: '/orgs/:org/members', path: (f) => `/orgs/${f.org}/members`, expect: [401, 200, 200, 200, 404, 200] },
  { method: 'GET', pattern: '/orgs/:org/members', path: (f) => `/orgs/${f.org}/members`, orgStatus: 'suspended', note: 'suspended grants nothing', expect: [401, 403, 403, 403, 404, 200] },
  { method: 'POST', pattern: '/orgs/:org/members', path: (f) => `/orgs/${f.org}/members`, body: (f) => ({ user_id: f.stranger, role: 'member' }), expect: [401, 403, 201, 201, 404, 403] },
  { method: 'POST', pattern: '/orgs/:org/members', path: (f) => `/orgs/${f.org}/members`, body: (f) => ({ user_id: f.stranger, role: 'owner' }), note: 'only owners add owners', expect: [401, 403, 403, 201, 404, 403] },
  { method: 'POST', pattern: '/orgs/:org/members', path: (f) => `/orgs/${f.org}/members`, body: () => ({ email: `someone-${randomUUID().slice(0, 8)}@example.com`, role: 'member' }), note: 'by email: an invitation', expect: [401, 403, 202, 202, 404, 403] },
  { method: 'POST', pattern: '/invitations/accept', path: () => '/invitations/accept', body: () => ({ token: 'no-such-invitation' }), note: 'an unknown code', expect: [401, 404, 404, 404, 404, 404] },
  { method: 'POST', pattern: '/orgs/:org/members', path: (f) => `/orgs/${f.org}/members`, body: (f) => ({ user_id: f.stranger, role: 'member' }), orgStatus: 'pending', note: 'pending grants nothing', expect: [401, 403, 403, 403, 404, 403] },
  { method: 'PATCH', pattern: '/orgs/:org/members/:user', path: (f) => `/orgs/${f.org}/members/${f.target}`, body: () => ({ role: 'admin' }), expect: [401, 403, 200, 200, 404, 403] },
  { method: 'PATCH', pattern: '/orgs/:org/members/:user', path: (f) => `/orgs/${f.org}/members/${f.target}`, body: () => ({ role: 'owner' }), note: 'only owners make owners', expect: [401, 403, 403, 200, 404, 403] },
  { method: 'DELETE', pattern: '/orgs/:org/members/:user', path: (f) => `/orgs/${f.org}/members/${f.target}`, expect: [401, 403, 204, 204, 404, 403] },
  { method: 'DELETE', pattern: '/orgs/:org/members/:user', path: (f) => `/orgs/${f.org}/members/${f.stranger}`, note: 'not a member', expect: [401, 403, 404, 404, 404, 403] },
  { method: 'GET', pattern: '/orgs/:org/webhooks', path: (f) => `/orgs/${f.org}/webhooks`, expect: [401, 403, 200, 200, 404, 403] },
  { method: 'POST', pattern: '/orgs/:org/webhooks', path: (f) => `/orgs/${f.org}/webhooks`, body: () => ({ url: WEBHOOK_URL, events: ['member.added'] }), expect: [401, 403, 201, 201, 404, 403] },
  { method: 'POST', pattern: '/orgs/:org/webhooks', path: (f) => `/orgs/${f.org}/webhooks`, body: () => ({ url: WEBHOOK_URL, events: ['member.added'] }), orgStatus: 'suspended', note: 'suspended', expect: [401, 403, 403, 403, 404, 403] },
  { method: 'PATCH', pattern: '/orgs/:org/webhooks/:webhook', path: (f) => `/orgs/${f.org}/webhooks/${f.webhook}`, body: () => ({ active: false }), expect: [401, 403, 200, 200, 404, 403] },
  { method: 'DELETE', pattern: '/orgs/:org/webhooks/:webhook', path: (f) => `/orgs/${f.org}/webhooks/${f.webhook}`, expect: [401, 403, 204, 204, 404, 403] },
  { method: 'POST', pattern: '/orgs/:org/webhooks/:webhook/test', path: (f) => `/orgs/${f.org}/webhooks/${f.webhook}/test`, expect: [401, 403, 202, 202, 404, 403] },
  { method: 'GET', pattern: '/orgs/:org/webhooks/:webhook/deliveries', path: (f) => `/orgs/${f.org}/webhooks/${f.webhook}/deliveries`, expect: [401, 403, 200, 200, 404, 403] },
  { method: 'GET', pattern: '/orgs/:org/audit', path: (f) => `/orgs/${f.org}/audit`, expect: [401, 403, 200, 200, 404, 200] },
  { method: 'GET', pattern: '/audit', path: () => '/audit', expect: [401, 403, 403, 403, 403, 200] },
  { method: 'GET', pattern: '/users', path: () => '/users', expect: [401, 403, 403, 403, 403, 200] },
  { method: 'PATCH', pattern: '/users/:user', path: (f) => `/users/${f.target}`, body: () => ({ roles: ['auditor'] }), expect: [401, 403, 403, 403, 403, 200] },
  { method: 'POST', pattern: '/users/:user/disable', path: (f) => `/users/${f.target}/disable`, expect: [401, 403, 403, 403, 403, 200] },
  { method: 'DELETE', pattern: '/users/:user/sessions', path: (f) => `/users/${f.target}/sessions`, expect: [401, 403, 403, 403, 403, 200] },
  { method: 'GET', pattern: '/me/sessions', path: () => '/me/sessions', expect: [401, 200, 200, 200, 200, 200] },
  { method: 'DELETE', pattern: '/me/sessions/:session', path: (f) => `/me/sessions/${f.ownSession}`, expect: [401, 204, 204, 204, 204, 204] },
  { method: 'DELETE', pattern: '/me/sessions/:session', path: (f) => `/me/sessions/${f.otherSession}`, note: "someone else's session", expect: [401, 404, 404, 404, 404, 404] },
  { method: 'DELETE', pattern: '/me/sessions', path: () => '/me/sessions?keep_current=true', expect: [401, 200, 200, 200, 200, 200] },
];

test('the matrix covers every route the router knows, and names no route it lacks', () => {
  const known = buildApiRouter().routes().map((r) => `${r.method} ${r.pattern}`).sort();
  const covered = [...new Set(ROWS.map((r) => `${r.method} ${r.pattern}`))].sort();
  assert.deepEqual(covered, known);
});

await describeEachDriver('SSO API authorization matrix', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let world: ApiWorld;
  const users = {} as Record<Exclude<Actor, 'anonymous'>, TestUser>;

  before(async () => {
    db = await makeDatabase();
    world = await startApiWorld(db);
    const { gh } = world;
    users.platform = await platformOwner(gh);
    for (const a of ['member', 'admin', 'owner', 'outsider'] as const) users[a] = await signUp(gh, a);
    await approvedOrg(gh, users.outsider, users.platform); // the outsider belongs to another organization
  });
  after(async () => {
    await world?.stop();
    await db?.drop();
  });

  /** A fresh organization for one cell, with the three org actors in their roles, a target member and a webhook. */
  async function fixture(actor: Actor, status: OrgStatus): Promise<Fixture> {
    const { store, auth } = world.gh;
    const org = await store.orgs.create({ slug: `mx-${randomUUID().slice(0, 12)}`, name: 'Matrix', status, createdBy: users.owner.id });
    const target = await store.users.create({ email: `t-${randomUUID()}@example.com` });
    const stranger = await store.users.create({ email: `s-${randomUUID()}@example.com` });
    for (const [userId, role] of [[users.owner.id, 'owner'], [users.admin.id, 'admin'], [users.member.id, 'member'], [target.id, 'member']] as const) {
      await store.memberships.add({ orgId: org.id, userId, role });
    }
    for (const id of [users.owner.id, users.admin.id, users.member.id]) auth.sessions.evictUser(id);
    const webhook = await store.webhooks.create({ orgId: org.id, url: WEBHOOK_URL, secret: 'whsec_test', events: ['member.added'] });
    const acting = actor === 'anonymous' ? target : (await store.users.get(users[actor].id))!;
    const own = await auth.sessions.create(acting, {});
    const other = await auth.sessions.create(target, {});
    return { org: org.id, webhook: webhook.id, target: target.id, stranger: stranger.id, ownSession: own.sessionId, otherSession: other.sessionId };
  }

  for (const row of ROWS) {
    const title = `${row.method} ${row.pattern}${row.note ? ` (${row.note})` : ''}${row.orgStatus ? ` [org ${row.orgStatus}]` : ''}`;
    test(title, async () => {
      const failures: string[] = [];
      for (const [i, actor] of ACTORS.entries()) {
        const f = await fixture(actor, row.orgStatus ?? 'approved');
        const token = actor === 'anonymous' ? undefined : users[actor].token;
        const body = row.body?.(f);
        const res = await api(world.gh.port, token, row.method, row.path(f), body === undefined ? {} : { json: body });
        if (res.status !== row.expect[i]) failures.push(`${actor}: expected ${row.expect[i]}, got ${res.status} ${res.text.slice(0, 200)}`);
        if (res.status >= 400) assert.equal(typeof res.json?.code, 'string', `${actor}: error bodies are JSON with a code`);
      }
      assert.deepEqual(failures, []);
    });
  }
});

// The OpenAPI document is true: it names exactly the routes the router serves, it is valid OpenAPI 3.1 whose
// schemas compile, and live answers of a real instance (SQLite) to every documented operation carry a documented
// status and a body that validates against the documented schema (ajv, JSON Schema 2020-12, formats checked).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { apiDocument, buildApiRouter } from '../../src/api/install-api.js';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { api, logIn, platformOwner, Receiver, signUp, startApiWorld, type Answer, type ApiWorld, type TestUser } from './api-helpers.js';

const METHODS = ['get', 'post', 'patch', 'delete', 'put'] as const;

interface Operation {
  operationId: string;
  parameters?: { name: string; in: string }[];
  requestBody?: { required: boolean; content: Record<string, { schema: object }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: object }> }>;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, any> } };

const DOC = apiDocument() as unknown as Doc;

function operations(): { key: string; path: string; method: string; op: Operation }[] {
  const out = [];
  for (const [path, item] of Object.entries(DOC.paths)) {
    for (const m of METHODS) {
      const op = item[m];
      if (op) out.push({ key: `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`, path, method: m, op });
    }
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * Validators for the document's schemas, compiled by ajv in strict mode (an unknown keyword fails the test). The
 * components become one schema's `$defs`, and `#/components/schemas/X` refs point into it.
 */
function compiler(): (pointer: string) => ValidateFunction {
  // strictRequired off: `oneOf: [{required: [a]}, {required: [b]}]` ("exactly one of a and b") is the usual idiom.
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
  // ajv-formats ships CommonJS with the plugin as `default`; under NodeNext it arrives as the module object.
  (addFormatsModule as unknown as { default: (ajv: Ajv2020) => Ajv2020 }).default(ajv);
  const relink = (schema: unknown) => JSON.parse(JSON.stringify(schema).replace(/"#\/components\/schemas\//g, '"gatehouse-api#/$defs/')) as object;
  ajv.addSchema({ $id: 'gatehouse-api', $defs: relink(DOC.components.schemas) });
  const cache = new Map<string, ValidateFunction>();
  return (pointer) => {
    let v = cache.get(pointer);
    if (!v) {
      const schema = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
        .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], DOC);
      assert.ok(schema, `${pointer} exists`);
      v = ajv.compile(relink(schema));
      cache.set(pointer, v);
    }
    return v;
  };
}

test('every route is documented, and every documented operation is routed', () => {
  const routed = buildApiRouter().routes().map((r) => `${r.method} ${r.pattern}`).sort();
  assert.deepEqual(operations().map((o) => o.key).sort(), routed);
});

test('the document is OpenAPI 3.1 with unique operation ids, path parameters declared, every $ref resolving', () => {
  assert.equal(DOC.openapi, '3.1.0');
  const ids = new Set<string>();
  for (const { key, path, op } of operations()) {
    assert.ok(!ids.has(op.operationId), `duplicate operationId ${op.operationId}`);
    ids.add(op.operationId);
    const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name).sort();
    assert.deepEqual(declared, [...path.matchAll(/\{(\w+)\}/g)].map((x) => x[1]).sort(), `${key} path parameters`);
    assert.ok(Object.keys(op.responses).some((s) => s.startsWith('2')), `${key} documents its success`);
    assert.ok('400' in op.responses, `${key} documents 400`);
  }
  const text = JSON.stringify(DOC);
  for (const [, name] of text.matchAll(/"#\/components\/schemas\/(\w+)"/g)) {
    assert.ok(name! in DOC.components.schemas, `$ref ${name} resolves`);
  }
});

test('every schema in the document compiles (ajv, JSON Schema 2020-12, strict)', () => {
  const compile = compiler();
  for (const name of Object.keys(DOC.components.schemas)) compile(`/components/schemas/${name}`);
  for (const { path, method, op } of operations()) {
    const base = `/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}`;
    for (const [status, r] of Object.entries(op.responses)) if (r.content) compile(`${base}/responses/${status}/content/application~1json/schema`);
    if (op.requestBody) compile(`${base}/requestBody/content/application~1json/schema`);
  }
});

await describeEachDriver('SSO API OpenAPI document against live answers', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let world: ApiWorld;
  let receiver: Receiver;
  const router = buildApiRouter();
  const compile = compiler();
  /** operation key -> statuses seen, each answer checked against the document as it arrived. */
  const seen = new Map<string, Set<number>>();

  before(async () => {
    db = await makeDatabase();
    world = await startApiWorld(db);
    receiver = await new Receiver().start();
  });
  after(async () => {
    await receiver?.close();
    await world?.stop();
    await db?.drop();
  });

  /** One API request; its answer must be documented for its operation and match the documented schema. */
  async function call(token: string | undefined, method: string, path: string, options: Parameters<typeof api>[4] = {}): Promise<Answer> {
    const res = await api(world.gh.port, token, method, path, options);
    const found = router.match(method, path.split('?')[0]!);
    assert.equal(found.kind, 'found', `${method} ${path} is routed`);
    if (found.kind !== 'found') return res;
    const key = `${found.route.method} ${found.route.pattern}`;
    const docPath = found.route.pattern.replace(/:(\w+)/g, '{$1}');
    const op = DOC.paths[docPath]![found.route.method.toLowerCase()]!;
    const documented = op.responses[String(res.status)];
    assert.ok(documented, `${key} answered ${res.status}, which its operation does not document: ${res.text}`);
    if (documented.content) {
      assert.match(String(res.headers['content-type']), /^application\/json/, `${key} ${res.status} is JSON`);
      const pointer = `/paths/${docPath.replace(/\//g, '~1')}/${found.route.method.toLowerCase()}/responses/${res.status}/content/application~1json/schema`;
      const validate = compile(pointer);
      assert.ok(validate(res.json), `${key} ${res.status} body matches the document: ${JSON.stringify(validate.errors)}\n${res.text}`);
    } else {
      assert.equal(res.text, '', `${key} ${res.status} has no body, as documented`);
    }
    if (!seen.has(key)) seen.set(key, new Set());
    seen.get(key)!.add(res.status);
    return res;
  }

  test('every documented operation, its success and its errors, answers as the document says', { timeout: 60_000 }, async () => {
    const po: TestUser = await platformOwner(world.gh);
    const owner = await signUp(world.gh, 'owner');
    const bob = await signUp(world.gh, 'bob');
    const carol = await signUp(world.gh, 'carol');
    const outsider = await signUp(world.gh, 'outsider');

    // The document itself, without a session.
    const doc = await call(undefined, 'GET', '/openapi.json');
    assert.equal(doc.status, 200);
    assert.deepEqual(doc.json, DOC, 'the served document is the generated one');

    // Organizations: ask, list, read, decide (each decision once, and once refused by the state).
    const slug = `live-${randomUUID().slice(0, 8)}`;
    const created = await call(owner.token, 'POST', '/orgs', { json: { slug, name: ' Live ' } });
    assert.equal(created.status, 201);
    assert.equal(created.json.name, 'Live', 'the schema trims the name');
    const org = created.json.id as string;
    assert.equal((await call(owner.token, 'POST', '/orgs', { json: { slug, name: 'again' } })).status, 409);
    assert.equal((await call(owner.token, 'POST', `/orgs/${org}/approve`)).status, 403);
    assert.equal((await call(po.token, 'POST', `/orgs/${org}/suspend`)).status, 409);
    assert.equal((await call(po.token, 'POST', `/orgs/${org}/approve`)).status, 200);
    const rejected = (await call(bob.token, 'POST', '/orgs', { json: { slug: `${slug}-r`, name: 'R' } })).json.id as string;
    assert.equal((await call(po.token, 'POST', `/orgs/${rejected}/reject`)).status, 200);
    assert.equal((await call(po.token, 'POST', `/orgs/${rejected}/reject`)).status, 409);
    const suspended = (await call(bob.token, 'POST', '/orgs', { json: { slug: `${slug}-s`, name: 'S' } })).json.id as string;
    await call(po.token, 'POST', `/orgs/${suspended}/approve`);
    assert.equal((await call(po.token, 'POST', `/orgs/${suspended}/suspend`)).status, 200);
    assert.equal((await call(po.token, 'POST', `/orgs/${suspended}/suspend`)).status, 409);
    assert.equal((await call(po.token, 'POST', `/orgs/${suspended}/approve`)).status, 200);
    assert.equal((await call(owner.token, 'GET', '/orgs?limit=1')).status, 200);
    assert.equal((await call(po.token, 'GET', '/orgs?status=approved')).status, 200);
    assert.equal((await call(owner.token, 'GET', `/orgs/${org}`)).status, 200);
    assert.equal((await call(outsider.token, 'GET', `/orgs/${org}`)).status, 404);

    // Members: add by id and by email, change, remove, the last owner stays.
    assert.equal((await call(owner.token, 'POST', `/orgs/${org}/members`, { json: { user_id: bob.id, role: 'member' } })).status, 201);
    // By email: an invitation (202, alike for any address), accepted by carol once her address is confirmed.
    const invited = await call(owner.token, 'POST', `/orgs/${org}/members`, { json: { email: carol.email.toUpperCase(), role: 'admin' } });
    assert.equal(invited.status, 202);
    assert.equal((await call(outsider.token, 'POST', '/invitations/accept', { json: { token: invited.json.token } })).status, 403, 'not her address');
    assert.equal((await call(carol.token, 'POST', '/invitations/accept', { json: { token: invited.json.token } })).status, 403, 'address not confirmed yet');
    await world.gh.store.users.update(carol.id, { emailVerifiedAt: new Date() });
    assert.equal((await call(carol.token, 'POST', '/invitations/accept', { json: { token: invited.json.token } })).status, 201);
    assert.equal((await call(carol.token, 'POST', '/invitations/accept', { json: { token: invited.json.token } })).status, 404, 'used up');
    const again = await call(owner.token, 'POST', `/orgs/${org}/members`, { json: { email: carol.email, role: 'member' } });
    assert.equal((await call(carol.token, 'POST', '/invitations/accept', { json: { token: again.json.token } })).status, 409, 'already a member');
    assert.equal((await call(owner.token, 'POST', `/orgs/${org}/members`, { json: { user_id: bob.id, role: 'member' } })).status, 409);
    assert.equal((await call(owner.token, 'POST', `/orgs/${org}/members`, { json: { email: 'nobody@example.com', role: 'member' } })).status, 202);
    assert.equal((await call(owner.token, 'POST', `/orgs/${org}/members`, { json: { user_id: 'nobody', role: 'member' } })).status, 404);
    assert.equal((await call(bob.token, 'POST', `/orgs/${org}/members`, { json: { user_id: outsider.id, role: 'member' } })).status, 403);
    assert.equal((await call(bob.token, 'GET', `/orgs/${org}/members`)).status, 200);
    assert.equal((await call(owner.token, 'PATCH', `/orgs/${org}/members/${bob.id}`, { json: { role: 'admin' } })).status, 200);
    assert.equal((await call(owner.token, 'PATCH', `/orgs/${org}/members/${owner.id}`, { json: { role: 'member' } })).status, 409);
    assert.equal((await call(carol.token, 'PATCH', `/orgs/${org}/members/${owner.id}`, { json: { role: 'member' } })).status, 403);
    assert.equal((await call(owner.token, 'PATCH', `/orgs/${org}/members/${outsider.id}`, { json: { role: 'member' } })).status, 404);
    assert.equal((await call(owner.token, 'DELETE', `/orgs/${org}/members/${owner.id}`)).status, 409);
    assert.equal((await call(carol.token, 'DELETE', `/orgs/${org}/members/${owner.id}`)).status, 403);
    assert.equal((await call(owner.token, 'DELETE', `/orgs/${org}/members/${outsider.id}`)).status, 404);

    // Webhooks: register (to a real receiver), list, change, rotate, test, deliveries, delete.
    const hook = await call(owner.token, 'POST', `/orgs/${org}/webhooks`, { json: { url: receiver.url, events: ['member.removed', 'member.removed'] } });
    assert.equal(hook.status, 201);
    assert.deepEqual(hook.json.events, ['member.removed'], 'the schema drops duplicates');
    receiver.secret = hook.json.secret;
    const wh = hook.json.id as string;
    assert.equal((await call(bob.token, 'GET', `/orgs/${org}/webhooks`)).status, 200);
    assert.equal((await call(owner.token, 'PATCH', `/orgs/${org}/webhooks/${wh}`, { json: { active: true } })).status, 200);
    const rotated = await call(owner.token, 'PATCH', `/orgs/${org}/webhooks/${wh}`, { json: { rotate_secret: true } });
    receiver.secret = rotated.json.secret;
    assert.equal((await call(owner.token, 'PATCH', `/orgs/${org}/webhooks/nope`, { json: { active: true } })).status, 404);
    assert.equal((await call(outsider.token, 'GET', `/orgs/${org}/webhooks`)).status, 404);
    assert.equal((await call(owner.token, 'POST', `/orgs/${org}/webhooks/${wh}/test`)).status, 202);
    assert.equal((await call(owner.token, 'DELETE', `/orgs/${org}/members/${bob.id}`)).status, 204);
    assert.equal((await call(bob.token, 'GET', `/orgs/${org}/webhooks`)).status, 404, 'bob is no longer a member');
    assert.equal((await call(po.token, 'GET', `/orgs/${org}/webhooks`)).status, 403, 'platform owners do not manage webhooks');
    const deadline = Date.now() + 10_000;
    let deliveries: Answer;
    do {
      await new Promise((r) => setTimeout(r, 50));
      deliveries = await call(owner.token, 'GET', `/orgs/${org}/webhooks/${wh}/deliveries`);
    } while (deliveries.json.items.some((d: { status: string }) => d.status !== 'delivered') && Date.now() < deadline);
    assert.equal(deliveries.json.items.length, 2, 'webhook.test and member.removed');
    assert.ok(deliveries.json.items.every((d: { status: string; attempt_log: unknown[] }) => d.status === 'delivered' && d.attempt_log.length === 1));
    assert.equal((await call(owner.token, 'GET', `/orgs/${org}/webhooks/nope/deliveries`)).status, 404);

    // Audit, users, sessions.
    assert.equal((await call(owner.token, 'GET', `/orgs/${org}/audit?action=member.added&since=2020-01-01T00:00:00Z`)).status, 200);
    assert.equal((await call(carol.token, 'GET', `/orgs/${outsider.id}/audit`)).status, 404);
    assert.equal((await call(po.token, 'GET', `/audit?org=${org}&limit=5`)).status, 200);
    assert.equal((await call(owner.token, 'GET', '/audit')).status, 403);
    assert.equal((await call(po.token, 'GET', '/users?role=platform_owner')).status, 200);
    assert.equal((await call(owner.token, 'GET', '/users')).status, 403);
    assert.equal((await call(po.token, 'PATCH', `/users/${carol.id}`, { json: { roles: ['auditor', 'auditor'] } })).status, 200);
    assert.equal((await call(po.token, 'PATCH', `/users/${po.id}`, { json: { roles: [] } })).status, 409);
    assert.equal((await call(po.token, 'PATCH', '/users/nobody', { json: { roles: [] } })).status, 404);
    assert.equal((await call(po.token, 'POST', `/users/${po.id}/disable`)).status, 409);
    assert.equal((await call(po.token, 'POST', '/users/nobody/disable')).status, 404);
    const second = await logIn(world.gh, outsider.email);
    assert.equal((await call(po.token, 'DELETE', `/users/${outsider.id}/sessions`)).status, 200);
    assert.equal((await call(po.token, 'DELETE', '/users/nobody/sessions')).status, 404);
    assert.equal((await call(second, 'GET', '/me/sessions')).status, 401, 'ended by the platform owner');
    const bobAgain = await logIn(world.gh, bob.email);
    const mine = await call(bob.token, 'GET', '/me/sessions?limit=10');
    assert.equal(mine.status, 200);
    const other = mine.json.items.find((s: { current: boolean; active: boolean }) => !s.current && s.active)!.id as string;
    assert.equal((await call(bob.token, 'DELETE', `/me/sessions/${other}`)).status, 204);
    assert.equal((await call(bob.token, 'DELETE', `/me/sessions/${other}`)).status, 204, 'ending an ended session of your own is still yours');
    assert.equal((await call(owner.token, 'DELETE', `/me/sessions/${other}`)).status, 404);
    assert.equal((await call(bobAgain, 'GET', '/me/sessions')).status, 401);
    assert.equal((await call(bob.token, 'DELETE', '/me/sessions?keep_current=true')).status, 200);
    assert.equal((await call(po.token, 'POST', `/users/${outsider.id}/disable`)).status, 200);
    assert.equal((await call(po.token, 'DELETE', `/orgs/${org}/webhooks/${wh}`)).status, 403);
    assert.equal((await call(owner.token, 'DELETE', `/orgs/${org}/webhooks/${wh}`)).status, 204);

    // Transport-level errors of writes: 413, 415, 403 (Origin).
    assert.equal((await call(owner.token, 'POST', '/orgs', { raw: JSON.stringify({ slug: 'big', name: 'x'.repeat(70_000) }) })).status, 413);
    assert.equal((await call(owner.token, 'POST', '/orgs', { raw: 'slug=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status, 415);
    assert.equal((await call(owner.token, 'POST', '/orgs', { json: { slug: 'x', name: 'y' }, headers: { origin: 'https://evil.example' } })).status, 403);

    // Every operation: an unknown query parameter is 400 naming it; without a session, 401 (but the public one).
    for (const { key } of operations()) {
      const [method, pattern] = key.split(' ') as [string, string];
      const path = pattern.replace(':org', org).replace(':webhook', wh).replace(':user', bob.id).replace(':session', other);
      const bad = await call(owner.token, method, `${path}?bogus=1`);
      assert.equal(bad.status, 400, `${key}?bogus=1`);
      assert.equal(bad.json.field, 'bogus');
      if (pattern !== '/openapi.json') assert.equal((await call(undefined, method, path)).status, 401, key);
    }

    // Coverage: every operation answered its documented success, and every documented status was seen somewhere.
    const everyStatus = new Set<number>();
    for (const { key, op } of operations()) {
      const statuses = seen.get(key) ?? new Set();
      for (const s of statuses) everyStatus.add(s);
      const success = Object.keys(op.responses).filter((s) => s.startsWith('2')).map(Number);
      for (const s of success) assert.ok(statuses.has(s), `${key}: its documented ${s} was exercised (saw ${[...statuses].join(', ')})`);
    }
    const documented = new Set(operations().flatMap(({ op }) => Object.keys(op.responses).map(Number)));
    assert.deepEqual([...documented].filter((s) => !everyStatus.has(s)), [], 'every documented status was answered at least once');
  });
}, ['sqlite']);

// GET /openapi.json describes exactly the routes the router serves (and the router serves exactly what it describes).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApiRouter } from '../../src/api/install-api.js';
import { OPENAPI_DOCUMENT } from '../../src/api/openapi.js';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { api, startApiWorld, type ApiWorld } from './api-helpers.js';

const METHODS = ['get', 'post', 'patch', 'delete', 'put'] as const;

function documented(): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries(OPENAPI_DOCUMENT.paths)) {
    for (const m of METHODS) if (m in item) out.push(`${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
  }
  return out.sort();
}

test('every route is documented, and every documented operation is routed', () => {
  const routed = buildApiRouter().routes().map((r) => `${r.method} ${r.pattern}`).sort();
  assert.deepEqual(documented(), routed);
});

test('the document is OpenAPI 3.1 with unique operation ids, path parameters declared, and every $ref resolving', () => {
  assert.equal(OPENAPI_DOCUMENT.openapi, '3.1.0');
  const ids = new Set<string>();
  for (const [path, item] of Object.entries(OPENAPI_DOCUMENT.paths)) {
    for (const m of METHODS) {
      const op = (item as Record<string, { operationId: string; parameters: { name: string; in: string }[]; responses: object }>)[m];
      if (!op) continue;
      assert.ok(!ids.has(op.operationId), `duplicate operationId ${op.operationId}`);
      ids.add(op.operationId);
      const declared = op.parameters.filter((p) => p.in === 'path').map((p) => p.name).sort();
      assert.deepEqual(declared, [...path.matchAll(/\{(\w+)\}/g)].map((x) => x[1]).sort(), `${m} ${path} path parameters`);
      assert.ok(Object.keys(op.responses).length > 0);
    }
  }
  const text = JSON.stringify(OPENAPI_DOCUMENT);
  for (const [, name] of text.matchAll(/"#\/components\/schemas\/(\w+)"/g)) {
    assert.ok(name! in OPENAPI_DOCUMENT.components.schemas, `$ref ${name} resolves`);
  }
});

await describeEachDriver('SSO API OpenAPI document', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let world: ApiWorld;
  before(async () => {
    db = await makeDatabase();
    world = await startApiWorld(db);
  });
  after(async () => {
    await world?.stop();
    await db?.drop();
  });
  test('GET /openapi.json serves the document without a session', async () => {
    const res = await api(world.gh.port, undefined, 'GET', '/openapi.json');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, JSON.parse(JSON.stringify(OPENAPI_DOCUMENT)));
    assert.equal(res.headers['cache-control'], 'no-store');
  });
}, ['sqlite']);

// The stages in a row, without a transport: request facts in (as a forward-auth endpoint would build them from the
// headers describing an original request), the evaluation out (decision, reason, headers to state), and the
// request's context filled for the observers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { ABSENT, authenticateChain } from '../../src/pipeline/3-authenticate/authenticate.js';
import { createAuthorize } from '../../src/pipeline/4-authorize/decide.js';
import { createMutate } from '../../src/pipeline/5-mutate/mutate.js';
import { ALICE, closeTable, context, facts, tableOf } from './helpers.js';

const table = tableOf([
  { name: 'public', match: { path: '/public/' }, policy: 'public', upstream: 'app' },
  { name: 'admins', match: { path: '/admin/' }, policy: { roles: ['admin'] }, upstream: 'app' },
  { name: 'staff', match: { path: '/staff/' }, policy: { roles: ['staff'] }, upstream: 'app' },
]);
after(() => closeTable(table));

let asked = 0;
const pipeline = new Pipeline({
  authenticate: authenticateChain([{
    name: 'stand-in',
    authenticate: (h) => { asked++; return h.authorization === undefined ? ABSENT : h.authorization === 'Bearer alice' ? ALICE : undefined; },
  }]),
  authorize: createAuthorize((rd) => `/.gatehouse/login?rd=${encodeURIComponent(rd)}`),
  mutate: createMutate(),
});

test('facts in, evaluation and context out', async () => {
  const rows: {
    what: string; input: ReturnType<typeof facts>; kind: string; decision?: string; reason?: string; headers?: number;
    route: string; userId?: string; outcome: string; authenticated: boolean;
  }[] = [
    { what: 'a public route: no session looked at, nothing stated', input: facts('/public/a', { headers: { authorization: 'Bearer alice' } }),
      kind: 'decided', decision: 'allow', reason: 'public', headers: 0, route: 'public', outcome: 'pending', authenticated: false },
    { what: 'an admin', input: facts('/admin/x', { headers: { authorization: 'Bearer alice' } }),
      kind: 'decided', decision: 'allow', reason: 'role', headers: 5, route: 'admins', userId: 'u-alice', outcome: 'pending', authenticated: true },
    { what: 'known but lacking the role', input: facts('/staff/x', { headers: { authorization: 'Bearer alice' } }),
      kind: 'decided', decision: 'deny', reason: 'missing_role', headers: 0, route: 'staff', userId: 'u-alice', outcome: 'denied', authenticated: true },
    { what: 'a bad credential', input: facts('/admin/x', { headers: { authorization: 'Bearer mallory' } }),
      kind: 'decided', decision: 'unauthenticated', reason: 'no_session', headers: 0, route: 'admins', outcome: 'unauthenticated', authenticated: true },
    { what: 'Gatehouse\'s own path', input: facts('/.gatehouse/login'), kind: 'reserved', route: '_gatehouse', outcome: 'pending', authenticated: false },
    { what: 'no route', input: facts('/nowhere'), kind: 'refused', route: '_none', outcome: 'refused', authenticated: false },
    { what: 'a path that cannot be judged', input: facts('/public/%00'), kind: 'refused', route: '_invalid', outcome: 'refused', authenticated: false },
  ];
  for (const row of rows) {
    asked = 0;
    const ctx = context();
    const evaluation = await pipeline.evaluate(row.input, table, ctx);
    assert.equal(evaluation.kind, row.kind, row.what);
    if (evaluation.kind === 'decided') {
      assert.equal(evaluation.decision.kind, row.decision, row.what);
      assert.equal(evaluation.decision.reason, row.reason, row.what);
      assert.equal(evaluation.headers.length, row.headers, row.what);
    }
    assert.equal(ctx.route, row.route, row.what);
    assert.equal(ctx.userId, row.userId, row.what);
    assert.equal(ctx.outcome, row.outcome, row.what);
    assert.equal(asked > 0, row.authenticated, `${row.what}: authenticators asked`);
  }
});

test('request ids are unique per context and formatted only when read', () => {
  const a = context();
  const b = context();
  assert.notEqual(a.id, b.id);
  assert.equal(a.id, a.id);
  assert.match(a.id, /^test-[0-9a-z]+$/);
});

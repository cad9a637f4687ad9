// Stage 5, mutate: what Gatehouse states about an allowed caller (the mutators' headers, in list order), and the
// header list sent upstream: the client's own credentials, spoofed identity and forwarding statements stripped first.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createMutate, identityHeadersMutator, type Mutator } from '../../src/pipeline/5-mutate/mutate.js';
import type { ClientAddress } from '../../src/proxy/client-address.js';
import { ALICE, BOB, closeTable, context, tableOf } from './helpers.js';

const table = tableOf([{ name: 'all', policy: 'public', upstream: 'app' }]);
const custom = tableOf([{ name: 'all', policy: 'public', upstream: 'app' }], { identity_header_prefix: 'X-Id-' });
after(async () => { await closeTable(table); await closeTable(custom); });

const CLIENT: ClientAddress = { ip: '192.0.2.7', forwardedFor: '192.0.2.7', forwardedProto: 'https', forwardedHost: 'app.test' };

test('assertions: none for an anonymous caller; the identity headers under the configured prefix; derived once per identity', () => {
  const mutate = createMutate();
  const ctx = context();
  assert.deepEqual(mutate.assertions(undefined, table, ctx), []);
  const rows: [what: string, t: typeof table, expected: [string, string][]][] = [
    ['default prefix', table, [['X-Auth-User-Id', 'u-alice'], ['X-Auth-Email', 'alice@example.test'], ['X-Auth-Name', 'Alice'], ['X-Auth-Roles', 'admin'], ['X-Auth-Orgs', 'acme:owner']]],
    ['custom prefix', custom, [['X-Id-User-Id', 'u-alice'], ['X-Id-Email', 'alice@example.test'], ['X-Id-Name', 'Alice'], ['X-Id-Roles', 'admin'], ['X-Id-Orgs', 'acme:owner']]],
  ];
  for (const [what, t, expected] of rows) {
    const first = mutate.assertions(ALICE, t, ctx);
    assert.deepEqual(first.map((h) => [...h]), expected, what);
    assert.equal(mutate.assertions(ALICE, t, ctx), first, `${what}: the same list again, not derived anew`);
  }
});

test('mutators add their headers in list order (the slot a signed assertion will take)', () => {
  const signed: Mutator = { name: 'signed', headers: (identity) => [['X-Assertion', `jwt-for-${identity.userId}`]] };
  const mutate = createMutate([identityHeadersMutator(), signed]);
  const names = mutate.assertions(BOB, table, context()).map(([n, v]) => `${n}=${v}`);
  assert.deepEqual(names.slice(-2), ['X-Auth-Orgs=globex:member', 'X-Assertion=jwt-for-u-bob']);
  assert.deepEqual(createMutate([]).assertions(BOB, table, context()), [], 'no mutators, no statements');
});

test('the header list sent upstream: what is stripped, what is kept, what is added', () => {
  const mutate = createMutate();
  const assertions = mutate.assertions(BOB, table, context());
  const raw = [
    'Host', 'app.test',
    'Accept', 'text/plain',
    'Cookie', 'theirs=1; __Host-gatehouse=tok; gatehouse-csrf=x; other=2',
    'Authorization', `Bearer kid1.${'A'.repeat(43)}.${'B'.repeat(22)}`, // Gatehouse's own session-token shape
    'X-Auth-User-Id', 'spoofed', 'x_auth_roles', 'spoofed', 'Remote-User', 'spoofed',
    'X-Forwarded-For', '6.6.6.6', 'Forwarded', 'for=6.6.6.6', 'X-HTTP-Method-Override', 'DELETE',
    'Connection', 'keep-alive, X-Drop-Me', 'X-Drop-Me', '1', 'Keep-Alive', 'timeout=5', 'Upgrade', 'websocket',
  ];
  const rows: [what: string, upgrade: boolean, expected: string[]][] = [
    ['an HTTP request', false, [
      'Host', 'app.test', 'Accept', 'text/plain', 'Cookie', 'theirs=1; other=2',
      'X-Forwarded-For', '192.0.2.7', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'app.test',
      'X-Auth-User-Id', 'u-bob', 'X-Auth-Email', 'bob@example.test', 'X-Auth-Name', 'Bob', 'X-Auth-Roles', '', 'X-Auth-Orgs', 'globex:member',
    ]],
  ];
  for (const [what, upgrade, expected] of rows) {
    assert.deepEqual(mutate.upstreamHeaders(raw, 'keep-alive, X-Drop-Me', table, CLIENT, assertions, upgrade), expected, what);
  }
  // Someone else's bearer token (not in Gatehouse's token shape) is the upstream's business and passes.
  const theirs = mutate.upstreamHeaders(['Authorization', 'Bearer their-api-key'], undefined, table, CLIENT, [], false);
  assert.deepEqual(theirs.slice(0, 2), ['Authorization', 'Bearer their-api-key']);
});

// Stage 5, mutate: what Gatehouse states about an allowed caller (the mutators' headers, in list order), and the
// header list sent upstream: the client's own credentials, spoofed identity and forwarding statements stripped first.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createMutate, identityHeadersMutator, type Header, type Mutator } from '../../src/pipeline/5-mutate/mutate.js';
import type { ClientAddress } from '../../src/proxy/client-address.js';
import { ALICE, BOB, closeTable, context, tableOf } from './helpers.js';

const table = tableOf([{ name: 'all', policy: 'public', upstream: 'app' }]);
const custom = tableOf([{ name: 'all', policy: 'public', upstream: 'app' }], { identity_header_prefix: 'X-Id-' });
after(async () => { await closeTable(table); await closeTable(custom); });

const ROUTE = table.routes.routes[0]!.config;

/** The mutators' answer when it must have come from their caches (no signing): a list, not a promise. */
function now(headers: readonly Header[] | Promise<readonly Header[]>): readonly Header[] {
  assert.ok(!(headers instanceof Promise), 'answered synchronously');
  return headers;
}

const CLIENT: ClientAddress = { ip: '192.0.2.7', forwardedFor: '192.0.2.7', forwardedProto: 'https', forwardedHost: 'app.test' };

test('assertions: none for an anonymous caller; the identity headers under the configured prefix; derived once per identity', () => {
  const mutate = createMutate();
  const ctx = context();
  assert.deepEqual(mutate.assertions(undefined, table, ctx, ROUTE), []);
  const rows: [what: string, t: typeof table, expected: [string, string][]][] = [
    ['default prefix', table, [['X-Auth-User-Id', 'u-alice'], ['X-Auth-Email', 'alice@example.test'], ['X-Auth-Name', 'Alice'], ['X-Auth-Roles', 'admin'], ['X-Auth-Orgs', 'acme:owner'],
      ['X-Auth-Email-Verified', 'false'], ['X-Auth-Amr', '']]],
    ['custom prefix', custom, [['X-Id-User-Id', 'u-alice'], ['X-Id-Email', 'alice@example.test'], ['X-Id-Name', 'Alice'], ['X-Id-Roles', 'admin'], ['X-Id-Orgs', 'acme:owner'],
      ['X-Id-Email-Verified', 'false'], ['X-Id-Amr', '']]],
  ];
  for (const [what, t, expected] of rows) {
    const first = now(mutate.assertions(ALICE, t, ctx, ROUTE));
    assert.deepEqual(first.map((h) => [...h]), expected, what);
    assert.equal(mutate.assertions(ALICE, t, ctx, ROUTE), first, `${what}: the same list again, not derived anew`);
  }
});

test('mutators add their headers in list order (the slot a signed assertion will take)', () => {
  const signed: Mutator = { name: 'signed', headers: (identity) => [['X-Assertion', `jwt-for-${identity.userId}`]] };
  const mutate = createMutate([identityHeadersMutator(), signed]);
  const names = now(mutate.assertions(BOB, table, context(), ROUTE)).map(([n, v]) => `${n}=${v}`);
  assert.deepEqual(names.slice(-2), ['X-Auth-Amr=', 'X-Assertion=jwt-for-u-bob']);
  assert.deepEqual(createMutate([]).assertions(BOB, table, context(), ROUTE), [], 'no mutators, no statements');
});

test('the header list sent upstream: what is stripped, what is kept, what is added', () => {
  const mutate = createMutate();
  const assertions = now(mutate.assertions(BOB, table, context(), ROUTE));
  const raw = [
    'Host', 'app.test',
    'Accept', 'text/plain',
    'Cookie', 'theirs=1; __Host-gatehouse=tok; gatehouse-csrf=x; other=2',
    'Authorization', `Bearer kid1.${'A'.repeat(43)}.${'B'.repeat(22)}`, // Gatehouse's own session-token shape
    'X-Auth-User-Id', 'spoofed', 'x_auth_roles', 'spoofed', 'Remote-User', 'spoofed',
    'X-Forwarded-For', '6.6.6.6', 'Forwarded', 'for=6.6.6.6', 'X-HTTP-Method-Override', 'DELETE',
    'Connection', 'keep-alive, X-Drop-Me', 'X-Drop-Me', '1', 'Keep-Alive', 'timeout=5', 'Upgrade', 'websocket',
  ];
  const rows: [what: string, expected: string[]][] = [
    ['an HTTP request', [
      'Host', 'app.test', 'Accept', 'text/plain', 'Cookie', 'theirs=1; other=2',
      'X-Forwarded-For', '192.0.2.7', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'app.test',
      'X-Auth-User-Id', 'u-bob', 'X-Auth-Email', 'bob@example.test', 'X-Auth-Name', 'Bob', 'X-Auth-Roles', '', 'X-Auth-Orgs', 'globex:member',
      'X-Auth-Email-Verified', 'false', 'X-Auth-Amr', '',
    ]],
  ];
  for (const [what, expected] of rows) {
    assert.deepEqual(mutate.upstreamHeaders(raw, 'keep-alive, X-Drop-Me', table, CLIENT, assertions), expected, what);
  }
  // Someone else's bearer token (not in Gatehouse's token shape) is the upstream's business and passes.
  const theirs = mutate.upstreamHeaders(['Authorization', 'Bearer their-api-key'], undefined, table, CLIENT, []);
  assert.deepEqual(theirs.slice(0, 2), ['Authorization', 'Bearer their-api-key']);
});

test('the signed assertion: a route that needs it and cannot get it is refused (503), never stated without it', async () => {
  const { signedAssertionMutator } = await import('../../src/pipeline/5-mutate/signed-assertion.js');
  const { SigningUnavailableError } = await import('../../src/errors/index.js');
  const { buildRuntimeTable } = await import('../../src/pipeline/runtime-table.js');
  const { configObject, validConfig } = await import('../helpers/core-net.js');
  const signedTable = buildRuntimeTable(validConfig({
    ...configObject({ app: 'http://127.0.0.1:9' }, [
      { name: 'signed', match: { path: '/s/' }, policy: 'authenticated', upstream: 'app', signed_identity: { audience: 'urn:x' } },
      { name: 'off', match: { path: '/' }, policy: 'authenticated', upstream: 'app', signed_identity: false },
    ]),
    signed_identity: { enabled: true, header: 'X-App-Identity' },
  }));
  try {
    // No store, so no signer: the core alone cannot sign.
    const mutate = createMutate([identityHeadersMutator(), signedAssertionMutator(undefined)]);
    const [signed, off] = signedTable.routes.routes.map((r) => r.config) as [typeof ROUTE, typeof ROUTE];
    assert.throws(() => mutate.assertions(ALICE, signedTable, context(), signed), (err) => err instanceof SigningUnavailableError && err.status === 503);
    assert.equal(now(mutate.assertions(ALICE, signedTable, context(), off)).length, 7, 'a route with signed_identity: false gets the identity headers only');
    // The configured header name is Gatehouse's own: a client's copy is stripped in any spelling.
    const sent = mutate.upstreamHeaders(['X-App-Identity', 'forged', 'x_app_identity', 'forged', 'Accept', '*/*'], undefined, signedTable, CLIENT, []);
    assert.deepEqual(sent.slice(0, 2), ['Accept', '*/*']);
    assert.ok(!sent.includes('forged'));
  } finally {
    await closeTable(signedTable);
  }
});

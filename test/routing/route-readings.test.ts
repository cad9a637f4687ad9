// The route table judges a request in every reading of its path a common upstream applies (case-folded or not,
// ";" parameters stripped or not, one trailing "/" or not) and applies the strictest route any reading selects.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouteTable, type RouteTableOptions } from '../../src/routing/index.js';
import { comparePolicies } from '../../src/routing/policy-order.js';
import type { RoutePolicy } from '../../src/config/schema.js';
import { ConfigError } from '../../src/errors/index.js';
import { route, target } from './helpers.js';

type Routes = ReturnType<typeof route>[];

const issue: Routes = [
  route('internal', '/internal/', { policy: 'deny' }),
  route('admin', '/admin/', { policy: { roles: ['admin'] } }),
  route('public', '/public/', { policy: 'public' }),
  route('secret-page', '/pages/secret', { policy: { roles: ['admin'] } }),
  route('login', '/login', { policy: 'public' }),
  route('rest', '/', { policy: 'authenticated' }),
];

// [name, routes, options, raw path, expected route name (undefined: refused), expected websockets flag]
const CASES: ReadonlyArray<readonly [string, Routes, RouteTableOptions, string, string | undefined]> = [
  // the issue's payloads: every case spelling of a protected area is judged by its route
  ['as written', issue, {}, '/admin/secret', 'admin'],
  ['upper case', issue, {}, '/ADMIN/secret', 'admin'],
  ['mixed case', issue, {}, '/Admin/Secret', 'admin'],
  ['escaped capital', issue, {}, '/%41dmin/secret', 'admin'],
  ['deny route, upper case', issue, {}, '/INTERNAL/x', 'internal'],
  ['deny route, mixed case', issue, {}, '/Internal', 'internal'],
  // a looser route is never chosen for a spelling a case-sensitive upstream reads as another path
  ['public prefix in capitals is not public', issue, {}, '/PUBLIC/x', 'rest'],
  ['public prefix as written is public', issue, {}, '/public/x', 'public'],
  // routes written with capitals: the case-sensitive reading keeps them apart from the folded one
  ['capital pattern, path as written', [route('scripts', '/Scripts/', { policy: 'public' }), issue.at(-1)!], {}, '/Scripts/app.js', 'scripts'],
  ['capital pattern, lower-case path', [route('scripts', '/Scripts/', { policy: 'public' }), issue.at(-1)!], {}, '/scripts/app.js', 'rest'],
  // routing.case_sensitive: true is the old behaviour (every upstream is case-sensitive)
  ['global case-sensitive', issue, { caseSensitive: true }, '/ADMIN/secret', 'rest'],
  ['global case-sensitive, as written', issue, { caseSensitive: true }, '/admin/secret', 'admin'],
  // match.case_sensitive overrides the global setting, both ways
  ['route case-sensitive', [route('slug', '/s/abc', { policy: 'deny', caseSensitive: true }), route('rest', '/', { policy: 'public' })], {}, '/s/ABC', 'rest'],
  ['route case-sensitive, as written', [route('slug', '/s/abc', { policy: 'deny', caseSensitive: true }), route('rest', '/', { policy: 'public' })], {}, '/s/abc', 'slug'],
  ['route case-insensitive under a case-sensitive table', [route('admin', '/admin/', { policy: { roles: ['admin'] }, caseSensitive: false }), issue.at(-1)!], { caseSensitive: true }, '/ADMIN/x', 'admin'],
  // ";" parameters: Tomcat strips them, Express keeps them; both readings are judged
  ['parameters on a protected segment', issue, {}, '/admin;jsessionid=1/panel', 'admin'],
  ['parameters on a public segment', [route('a', '/a/', { policy: 'public' }), route('rest', '/', { policy: 'deny' })], {}, '/a;x/b', 'rest'],
  ['parameters where no route has the kept reading', [route('app', '/app/')], {}, '/app;x/y', undefined],
  ['parameters below the tested segment', [route('app', '/app/')], {}, '/app/y;x', 'app'],
  ['parameters with case', issue, {}, '/ADMIN;x/y', 'admin'],
  // one trailing "/": Express and Spring serve "/x/" as "/x"
  ['exact protected page with a trailing slash', issue, {}, '/pages/secret/', 'secret-page'],
  ['exact protected page, upper case, trailing slash', issue, {}, '/Pages/SECRET/', 'secret-page'],
  ['exact public page with a trailing slash is not public', issue, {}, '/login/', 'rest'],
  ['exact page with a trailing slash and no other route', [route('login', '/login', { policy: 'public' })], {}, '/login/', undefined],
  ['prefix with a trailing slash', issue, {}, '/public/', 'public'],
  // readings that select different upstreams, or policies with no order, are refused
  ['different upstreams', [route('admin', '/admin/', { policy: { roles: ['admin'] }, upstream: 'adm' }), route('rest', '/')], {}, '/ADMIN/x', undefined],
  ['same upstream', [route('admin', '/admin/', { policy: { roles: ['admin'] } }), route('rest', '/')], {}, '/ADMIN/x', 'admin'],
  ['unordered role lists', [route('billing', '/billing/', { policy: { roles: ['billing'] } }), route('rest', '/', { policy: { roles: ['staff'] } })], {}, '/BILLING/x', undefined],
  ['ordered role lists', [route('billing', '/billing/', { policy: { roles: ['billing'] } }), route('rest', '/', { policy: { roles: ['billing', 'staff'] } })], {}, '/BILLING/x', 'billing'],
  ['equally strict: the as-sent reading\'s route', [route('a', '/a/', { policy: 'public' }), route('rest', '/', { policy: 'public' })], {}, '/A/x', 'rest'],
  ['stricter route later in the table', [route('rest', '/x/', { policy: 'authenticated' }), route('cap', '/X/', { policy: { roles: ['a'] } })], {}, '/X/y', 'cap'],
];

describe('RouteTable.match judges every reading and applies the strictest route', () => {
  for (const [name, routes, options, raw, want] of CASES) {
    test(`${name}: ${raw} -> ${want ?? 'refused'}`, () => {
      assert.equal(compileRouteTable(routes, options).match(undefined, target(raw), 'GET')?.name, want);
    });
  }

  test('upgrades pass only when every selected route allows them', () => {
    const table = compileRouteTable([
      route('ws', '/ws/', { policy: 'authenticated', websockets: true }),
      route('rest', '/', { policy: 'public' }),
    ]);
    const asWritten = table.match(undefined, target('/ws/x'), 'GET');
    assert.equal(asWritten?.name, 'ws');
    assert.equal(asWritten?.config.websockets, true);
    const folded = table.match(undefined, target('/WS/x'), 'GET');
    assert.equal(folded?.name, 'ws');
    assert.equal(folded?.config.websockets, false);
    assert.equal(folded?.config.policy, 'authenticated');
    assert.equal(table.routes[0]?.config.websockets, true, 'the table keeps the configured route unchanged');
  });

  test('protocols beyond websocket pass only when every selected route lists them', () => {
    const table = compileRouteTable([
      route('exact', '/t/x', { policy: 'public', websockets: true }),
      route('prefix', '/t/x/', { policy: 'public', websockets: true, upgradeProtocols: ['tcp'] }),
    ]);
    // "/t/x/y" is read only by the prefix route; "/t/x/" also as "/t/x" (a trailing "/" trimmed), the exact route's.
    assert.deepEqual(table.match(undefined, target('/t/x/y'), 'GET')?.upgradeProtocols, ['websocket', 'tcp']);
    const both = table.match(undefined, target('/t/x/'), 'GET');
    assert.equal(both?.name, 'prefix');
    assert.deepEqual(both?.upgradeProtocols, ['websocket']);
    assert.deepEqual(both?.config.upgrade_protocols, []);
    assert.equal(both?.config.websockets, true);
    assert.deepEqual(table.routes[1]?.upgradeProtocols, ['websocket', 'tcp'], 'the table keeps the configured route unchanged');
  });

  test('the compiled routes say whether they are case-sensitive', () => {
    const table = compileRouteTable([route('a', '/a', { caseSensitive: true }), route('b', '/b'), route('c', '/c', { caseSensitive: false })], { caseSensitive: true });
    assert.deepEqual(table.routes.map((r) => r.caseSensitive), [true, true, false]);
  });

  test('host and method rules apply in every reading', () => {
    const table = compileRouteTable([
      route('admin', '/admin/', { policy: { roles: ['admin'] }, host: 'app.test', methods: ['POST'] }),
      route('rest', '/', { policy: 'authenticated' }),
    ]);
    assert.equal(table.match('APP.test', target('/ADMIN/x'), 'POST')?.name, 'admin');
    assert.equal(table.match('other.test', target('/ADMIN/x'), 'POST')?.name, 'rest');
    assert.equal(table.match('app.test', target('/ADMIN/x'), 'GET')?.name, 'rest');
  });
});

describe('route paths under case-insensitive matching', () => {
  test('a letter outside ASCII with another case is refused unless the route is case-sensitive', () => {
    assert.throws(() => compileRouteTable([route('x', '/%C3%A4rger/')]), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems[0]?.path, 'routes[0].match.path');
      assert.match(err.problems[0]?.message ?? '', /case_sensitive: true/);
      return true;
    });
    assert.equal(compileRouteTable([route('x', '/%C3%A4rger/', { caseSensitive: true })]).routes.length, 1);
    assert.equal(compileRouteTable([route('x', '/%C3%A4rger/')], { caseSensitive: true }).routes.length, 1);
    // letters without case (CJK) and escapes of ASCII punctuation are fine
    assert.equal(compileRouteTable([route('x', '/%E6%97%A5/%20x')]).routes.length, 1);
  });
});

describe('comparePolicies', () => {
  const CASES: ReadonlyArray<readonly [RoutePolicy, RoutePolicy, 1 | 0 | -1 | undefined]> = [
    ['public', 'authenticated', -1],
    ['authenticated', 'public', 1],
    ['authenticated', 'authenticated', 0],
    [{ roles: ['a'] }, 'authenticated', 1],
    [{ orgs: ['acme'] }, 'public', 1],
    [{ roles: ['a'] }, { roles: ['a', 'b'] }, 1],
    [{ roles: ['b', 'a'] }, { roles: ['a', 'b'] }, 0],
    [{ roles: ['a', 'c'] }, { roles: ['a', 'b'] }, undefined],
    [{ roles: ['a'] }, { orgs: ['acme'] }, undefined],
    [{ orgs: ['acme'] }, { orgs: ['acme', 'globex'] }, 1],
    [{ orgs: ['acme'], org_roles: ['admin'] }, { orgs: ['acme'] }, 1],
    [{ orgs: ['acme'] }, { orgs: ['acme'], org_roles: ['admin'] }, -1],
    [{ orgs: ['acme'], org_roles: ['admin'] }, { orgs: ['acme', 'globex'], org_roles: ['admin', 'owner'] }, 1],
    [{ orgs: ['acme'] }, { orgs: ['acme', 'globex'], org_roles: ['admin'] }, undefined],
    [{ orgs: ['acme'], org_roles: ['admin'] }, { orgs: ['acme'], org_roles: ['owner'] }, undefined],
    // a second factor or a confirmed email on top of who may pass: stricter in that dimension
    [{ mfa: true }, 'authenticated', 1],
    ['authenticated', { mfa: true }, -1],
    [{ mfa: true }, 'public', 1],
    [{ roles: ['a'], mfa: true }, { roles: ['a'] }, 1],
    [{ roles: ['a'] }, { roles: ['a'], mfa: true }, -1],
    [{ roles: ['a'], mfa: true }, { roles: ['a', 'b'] }, 1],
    [{ roles: ['a', 'b'], mfa: true }, { roles: ['a'] }, undefined],
    [{ mfa: true }, { roles: ['a'] }, undefined],
    [{ roles: ['a'], mfa: true }, { mfa: true }, 1],
    [{ mfa: true }, { verified_email: true }, undefined],
    [{ mfa: true, verified_email: true }, { verified_email: true }, 1],
    [{ orgs: ['acme'], mfa: true }, { orgs: ['acme'], mfa: true }, 0],
    [{ orgs: ['acme'] }, { orgs: ['acme'], verified_email: true }, -1],
  ];
  for (const [a, b, want] of CASES) {
    test(`${JSON.stringify(a)} vs ${JSON.stringify(b)} -> ${want}`, () => assert.equal(comparePolicies(a, b), want));
  }
});

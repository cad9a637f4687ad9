import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { compilePathPattern, compileRouteTable, normalizeHost } from '../../src/routing/index.js';
import { ConfigError } from '../../src/errors/index.js';
import { route } from './helpers.js';

// [name, routes, host, path (already a matchPath), method, expected route name or undefined]
type Case = readonly [string, ReturnType<typeof route>[], string | undefined, string, string, string | undefined];

const prefix = [route('pub', '/public/')];
const exact = [route('exact', '/login')];
const root = [route('root', '/')];
const glob1 = [route('g', '/api/*/users')];
const globStar = [route('g', '/files/*.pdf')];
const globMid = [route('g', '/a/x*y*z')];
const glob2 = [route('g', '/assets/**')];
const glob2mid = [route('g', '/api/**/admin')];
const glob2lead = [route('g', '/**/*.php')];
const globPrefix = [route('g', '/users/*/')];
const hostExact = [route('h', '/', { host: 'App.Example.com' })];
const hostWild = [route('h', '/', { host: '*.example.com' })];
const hostPort = [route('h', '/', { host: 'example.com:8080' })];
const hostDot = [route('h', '/', { host: 'example.com.' })];
const hostV6 = [route('h', '/', { host: '[::1]:4180' })];
const hostV4 = [route('h', '/', { host: '10.0.0.1' })];
const methods = [route('m', '/', { methods: ['GET', 'POST'] })];
const ordered = [route('first', '/a/'), route('second', '/a/b'), route('third', '/')];
const mixed = [
  route('api-get', '/api/', { methods: ['GET'], host: 'api.example.com' }),
  route('api-any', '/api/', { host: 'api.example.com' }),
  route('other', '/api/'),
];

const CASES: readonly Case[] = [
  // prefix: "/public/" matches itself, the bare "/public" and anything below, nothing beside it
  ['prefix itself', prefix, undefined, '/public/', 'GET', 'pub'],
  ['prefix without slash', prefix, undefined, '/public', 'GET', 'pub'],
  ['prefix child', prefix, undefined, '/public/x/y', 'GET', 'pub'],
  ['prefix sibling', prefix, undefined, '/publicity', 'GET', undefined],
  ['prefix sibling 2', prefix, undefined, '/public-x/', 'GET', undefined],
  ['prefix parent', prefix, undefined, '/', 'GET', undefined],
  ['root prefix matches root', root, undefined, '/', 'GET', 'root'],
  ['root prefix matches all', root, undefined, '/x/y/', 'GET', 'root'],
  // exact
  ['exact', exact, undefined, '/login', 'GET', 'exact'],
  ['exact trailing slash', exact, undefined, '/login/', 'GET', undefined],
  ['exact child', exact, undefined, '/login/x', 'GET', undefined],
  ['exact longer', exact, undefined, '/loginx', 'GET', undefined],
  ['exact is case-sensitive', exact, undefined, '/Login', 'GET', undefined],
  // glob "*": within one segment
  ['* one segment', glob1, undefined, '/api/v1/users', 'GET', 'g'],
  ['* empty segment', glob1, undefined, '/api//users', 'GET', 'g'],
  ['* not across "/"', glob1, undefined, '/api/v1/v2/users', 'GET', undefined],
  ['* anchored at end', glob1, undefined, '/api/v1/users/x', 'GET', undefined],
  ['* suffix', globStar, undefined, '/files/report.pdf', 'GET', 'g'],
  ['* suffix only', globStar, undefined, '/files/.pdf', 'GET', 'g'],
  ['* suffix mismatch', globStar, undefined, '/files/report.pdfx', 'GET', undefined],
  ['* suffix not deeper', globStar, undefined, '/files/a/report.pdf', 'GET', undefined],
  ['* middle pieces', globMid, undefined, '/a/x1y2z', 'GET', 'g'],
  ['* middle pieces tight', globMid, undefined, '/a/xyz', 'GET', 'g'],
  ['* middle pieces out of order', globMid, undefined, '/a/xzy', 'GET', undefined],
  ['* pieces do not overlap', [route('g', '/a/ab*ba')], undefined, '/a/aba', 'GET', undefined],
  // glob "**": zero or more segments
  ['** zero segments', glob2, undefined, '/assets', 'GET', 'g'],
  ['** trailing slash', glob2, undefined, '/assets/', 'GET', 'g'],
  ['** deep', glob2, undefined, '/assets/a/b/c.js', 'GET', 'g'],
  ['** sibling', glob2, undefined, '/assetsx/a', 'GET', undefined],
  ['** middle zero', glob2mid, undefined, '/api/admin', 'GET', 'g'],
  ['** middle many', glob2mid, undefined, '/api/v1/x/admin', 'GET', 'g'],
  ['** middle anchored', glob2mid, undefined, '/api/v1/admin/x', 'GET', undefined],
  ['** leading', glob2lead, undefined, '/index.php', 'GET', 'g'],
  ['** leading deep', glob2lead, undefined, '/a/b/index.php', 'GET', 'g'],
  ['** leading miss', glob2lead, undefined, '/a/b/index.php/x', 'GET', undefined],
  ['glob ending in "/" is a prefix', globPrefix, undefined, '/users/42', 'GET', 'g'],
  ['glob prefix child', globPrefix, undefined, '/users/42/edit', 'GET', 'g'],
  ['glob prefix parent', globPrefix, undefined, '/users', 'GET', undefined],
  // hosts: case, port, trailing dot, IPv6, wildcard
  ['host exact', hostExact, 'app.example.com', '/', 'GET', 'h'],
  ['host case', hostExact, 'APP.EXAMPLE.COM', '/', 'GET', 'h'],
  ['host port ignored', hostExact, 'app.example.com:4180', '/', 'GET', 'h'],
  ['host trailing dot', hostExact, 'app.example.com.', '/', 'GET', 'h'],
  ['host trailing dot and port', hostExact, 'App.Example.Com.:443', '/', 'GET', 'h'],
  ['host other', hostExact, 'example.com', '/', 'GET', undefined],
  ['host suffix trick', hostExact, 'app.example.com.evil.net', '/', 'GET', undefined],
  ['host missing', hostExact, undefined, '/', 'GET', undefined],
  ['host invalid', hostExact, 'app.example.com:x', '/', 'GET', undefined],
  ['host with space', hostExact, 'app.example.com ', '/', 'GET', undefined],
  ['rule port ignored', hostPort, 'example.com', '/', 'GET', 'h'],
  ['rule port ignored 2', hostPort, 'example.com:9999', '/', 'GET', 'h'],
  ['rule trailing dot', hostDot, 'example.com', '/', 'GET', 'h'],
  ['ipv6 with port', hostV6, '[::1]:4180', '/', 'GET', 'h'],
  ['ipv6 without port', hostV6, '[::1]', '/', 'GET', 'h'],
  ['ipv6 other', hostV6, '[::2]', '/', 'GET', undefined],
  ['ipv6 unbracketed is invalid', hostV6, '::1', '/', 'GET', undefined],
  ['ipv4', hostV4, '10.0.0.1:80', '/', 'GET', 'h'],
  ['wildcard one label', hostWild, 'a.example.com', '/', 'GET', 'h'],
  ['wildcard two labels', hostWild, 'a.b.example.com', '/', 'GET', 'h'],
  ['wildcard case and port', hostWild, 'A.Example.COM:8080', '/', 'GET', 'h'],
  ['wildcard not apex', hostWild, 'example.com', '/', 'GET', undefined],
  ['wildcard not empty label', hostWild, '.example.com', '/', 'GET', undefined],
  ['wildcard not suffix-alike', hostWild, 'evilexample.com', '/', 'GET', undefined],
  ['route without host matches any host', root, 'anything.test', '/', 'GET', 'root'],
  ['route without host matches no host', root, undefined, '/', 'GET', 'root'],
  // methods
  ['method listed', methods, undefined, '/', 'GET', 'm'],
  ['method listed 2', methods, undefined, '/', 'POST', 'm'],
  ['HEAD not implied by GET', methods, undefined, '/', 'HEAD', undefined],
  ['method not listed', methods, undefined, '/', 'DELETE', undefined],
  ['method case-sensitive', methods, undefined, '/', 'get', undefined],
  ['no methods means any', root, undefined, '/', 'PATCH', 'root'],
  // order: first match wins
  ['order first', ordered, undefined, '/a/b', 'GET', 'first'],
  ['order fallthrough', ordered, undefined, '/b', 'GET', 'third'],
  ['mixed method first', mixed, 'api.example.com', '/api/x', 'GET', 'api-get'],
  ['mixed method second', mixed, 'api.example.com', '/api/x', 'POST', 'api-any'],
  ['mixed other host', mixed, 'www.example.com', '/api/x', 'GET', 'other'],
  // no match
  ['empty table', [], undefined, '/', 'GET', undefined],
];

describe('RouteTable.match', () => {
  for (const [name, routes, host, path, method, want] of CASES) {
    test(name, () => {
      const table = compileRouteTable(routes);
      assert.equal(table.match(host, { path, matchPath: path }, method)?.name, want);
    });
  }

  test('exposes compiled routes in order, with index and path kind', () => {
    const configs = [route('a', '/x'), route('b', '/y/'), route('c', '/z/*')];
    const table = compileRouteTable(configs);
    assert.deepEqual(table.routes.map((r) => [r.name, r.index, r.pathKind]), [['a', 0, 'exact'], ['b', 1, 'prefix'], ['c', 2, 'glob']]);
    assert.equal(table.routes[1]?.config, configs[1]);
    assert.ok(Object.isFrozen(table.routes));
  });

  test('glob matching stays fast on hostile paths (no backtracking blow-up)', () => {
    const table = compileRouteTable([route('g', '/**/a/**/b/**/c/*x*y*z*w')]);
    const path = '/' + Array.from({ length: 3000 }, () => 'a').join('/') + '/' + 'x'.repeat(3000);
    const t0 = performance.now();
    assert.equal(table.match(undefined, { path, matchPath: path }, 'GET'), undefined);
    assert.ok(performance.now() - t0 < 1000, 'match took over a second');
  });
});

describe('the first-segment index keeps config order', () => {
  test('indexed match equals a route-by-route scan on random tables', () => {
    let a = 99;
    const rand = (): number => ((a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 4294967296);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const patterns = ['/', '/a', '/a/', '/b/', '/a/b', '/a/*', '/*/b', '/**/b', '/a/**', '/b/*/', '/c', '/*'];
    const paths = ['/', '/a', '/a/', '/a/b', '/a/c', '/b', '/b/b', '/b/x/y', '/c', '/c/b', '/d/b/', '/x/y/b'];
    for (let i = 0; i < 300; i++) {
      const configs = Array.from({ length: 1 + Math.floor(rand() * 8) }, (_, k) =>
        route(`r${k}`, pick(patterns), rand() < 0.3 ? { methods: [pick(['GET', 'POST'] as const)] } : {}));
      const table = compileRouteTable(configs);
      // The reference scans every route with its bare path pattern, no index.
      const singles = configs.map((c) => {
        const compiled = compilePathPattern(c.match.path);
        assert.ok(compiled.ok);
        return (path: string, method: string) => (c.match.methods === undefined || (c.match.methods as readonly string[]).includes(method)) &&
          compiled.pattern.test(path);
      });
      for (const path of paths) {
        for (const method of ['GET', 'POST']) {
          // Paths ending in "/" are also read without it; every route here has one policy and upstream, so the
          // as-sent reading's route judges unless the other reading finds none.
          const readings = path.length > 1 && path.endsWith('/') ? [path, path.slice(0, -1)] : [path];
          const found = readings.map((p) => singles.findIndex((matches) => matches(p, method)));
          const want = found.includes(-1) ? -1 : found[0];
          assert.equal(table.match(undefined, { path, matchPath: path }, method)?.index ?? -1, want, `${JSON.stringify(configs.map((c) => c.match))} ${method} ${path}`);
        }
      }
    }
  });
});

describe('compileRouteTable refusals', () => {
  const BAD: ReadonlyArray<readonly [ReturnType<typeof route>, RegExp]> = [
    [route('x', '/a//b'), /normal form; write "\/a\/b"/],
    [route('x', '/a/../b'), /normal form/],
    [route('x', '/%7euser/'), /write "\/~user\/"/],
    [route('x', '/a%2fb'), /cannot be normalised/],
    [route('x', '/admin;x'), /";" parameters/],
    [route('x', '/a?b'), /"\?" or "#"/],
    [route('x', '/a**/'), /whole segment/],
    [route('x', 'admin'), /starting with "\/"/],
    [route('x', '/', { host: 'exa mple.com' }), /host/],
    [route('x', '/', { host: 'a.*.example.com' }), /host/],
    [route('x', '/', { host: '*' }), /host/],
    [route('x', '/', { host: '*.[::1]' }), /\*\.domain/],
    [route('x', '/', { host: '::1' }), /host/],
  ];
  for (const [config, message] of BAD) {
    test(`refuses ${JSON.stringify(config.match)}`, () => {
      assert.throws(() => compileRouteTable([route('ok', '/'), config]), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.code, 'GATE_ERR_CONFIG_INVALID');
        assert.equal(err.problems.length, 1);
        assert.match(err.problems[0]?.path ?? '', /^routes\[1\]\.match\.(path|host)$/);
        assert.match(err.problems[0]?.message ?? '', message);
        return true;
      });
    });
  }

  test('reports every bad route at once', () => {
    assert.throws(() => compileRouteTable([route('a', '/a//'), route('b', '/', { host: '*' }), route('c', '/c;x')]), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems.map((p) => p.path), ['routes[0].match.path', 'routes[1].match.host', 'routes[2].match.path']);
      return true;
    });
  });
});

describe('normalizeHost', () => {
  const CASES: ReadonlyArray<readonly [string | undefined, string | undefined]> = [
    ['Example.COM', 'example.com'],
    ['example.com:443', 'example.com'],
    ['example.com.', 'example.com'],
    ['example.com.:80', 'example.com'],
    ['example.com:', 'example.com'],
    ['[::1]:4180', '[::1]'],
    ['[2001:DB8::1]', '[2001:db8::1]'],
    ['127.0.0.1:8080', '127.0.0.1'],
    ['[::1', undefined],
    ['[::1]x', undefined],
    ['[::1]:x', undefined],
    ['[zz]', undefined],
    ['::1', undefined],
    ['a b', undefined],
    ['a/b', undefined],
    ['a@b', undefined],
    ['', undefined],
    ['.', undefined],
    [undefined, undefined],
  ];
  for (const [raw, want] of CASES) {
    test(String(JSON.stringify(raw)), () => assert.equal(normalizeHost(raw), want));
  }
});

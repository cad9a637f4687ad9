// The property the routing layer exists for: with a public "/public/" route before a protected "/admin/" route,
// no spelling of a path that ends up under /admin is judged by the public route. Each attempt is either refused
// by normalizePath (400) or judged by the route its normalised path really belongs to.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouteTable, normalizePath } from '../../src/routing/index.js';
import { route } from './helpers.js';

const table = compileRouteTable([
  route('public', '/public/', { policy: 'public' }),
  route('admin', '/admin/', { policy: { roles: ['admin'] } }),
  route('rest', '/', { policy: 'authenticated' }),
]);

const ATTEMPTS: readonly string[] = [
  '/admin', '/admin/', '/admin/x',
  '/public/../admin', '/public/../admin/', '/public/./../admin/x',
  '/public/%2e%2e/admin', '/public/%2E%2E/admin', '/public/.%2e/admin', '/public/%2e./admin', '/public/%2e%2E/admin/x',
  '/public/..%2fadmin', '/public/..%2Fadmin', '/public%2f../admin', '/public/%2e%2e%2fadmin',
  '/public/..\\admin', '/public\\..\\admin', '/public/%5c../admin', '/public/..%5cadmin', '/public/%2e%2e%5cadmin',
  '//admin', '///admin/x', '//public/../admin', '/./admin', '/admin/.', '/admin/./', '/.//admin',
  '/public/?/../admin', '/public/?x=/../admin', '/public#/../admin', '/public/#/../../admin',
  '/admin?/public/', '/admin#/public/',
  '/%61dmin', '/%61dmin/', '/%61%64%6d%69%6e/x', '/ad%6Din/', '/%2fadmin', '/public/%00/../admin',
  '/public/..;/admin', '/public/..;x=1/admin', '/public;/../admin', '/public;x/../admin/',
  '/admin;jsessionid=1/panel', '/admin;x', '/;x/admin', '/;/admin/', '/admin;/', '//;x//admin',
  '/public/a/../../admin', '/public/a/b/../../../admin/', '/public/%2e%2e/%2e%2e/admin',
  '/public/.%00./admin', '/public/..%00/admin', '/public/%u2216admin', '/public/..%c0%afadmin',
  '/public/\u0000/../admin', '/public/\t/../admin', '/public/ /../admin', '/public/\r\n/../admin',
  'http://public.example/public/../admin', 'http://x/admin', 'https://x/public/%2e%2e/admin',
  '*', 'admin', '../admin', '/..', '/public/..', '/public/../..',
  '/public/' + 'a/'.repeat(5000) + '../admin',
];

/** Whether a normalised path is the admin area (its first segment, parameters removed, is "admin"). */
function underAdmin(matchPath: string): boolean {
  return matchPath === '/admin' || matchPath.startsWith('/admin/');
}

describe('bypass attempts against a public route placed before /admin/', () => {
  for (const attempt of ATTEMPTS) {
    test(JSON.stringify(attempt.length > 80 ? attempt.slice(0, 77) + '...' : attempt), () => {
      const n = normalizePath(attempt);
      if (!n.ok) return; // refused with 400: safe
      const judged = table.match(undefined, n, 'GET');
      if (underAdmin(n.matchPath) || underAdmin(n.path)) {
        assert.equal(judged?.name, 'admin', `${attempt} -> ${n.path} judged by ${judged?.name}`);
      }
      if (judged?.name === 'public') {
        // A public verdict is only ever given to paths whose normalised form is really under /public.
        assert.ok(n.matchPath === '/public' || n.matchPath.startsWith('/public/'), `${attempt} -> ${n.path}`);
        assert.ok(n.path === '/public' || n.path.startsWith('/public/'), `${attempt} -> ${n.path}`);
      }
    });
  }

  test('the attempts that normalise into /admin are judged by the admin route (not merely refused)', () => {
    const intoAdmin = ['/public/../admin', '/public/%2e%2e/admin', '/public/.%2e/admin', '//admin', '/./admin', '/admin/.',
      '/%61dmin', '/admin;jsessionid=1/panel', '/;x/admin', '/public/a/../../admin'];
    for (const attempt of intoAdmin) {
      const n = normalizePath(attempt);
      assert.ok(n.ok, attempt);
      assert.equal(table.match(undefined, n, 'GET')?.name, 'admin', attempt);
    }
  });

  test('query and fragment tricks keep the path they precede', () => {
    for (const [attempt, want] of [['/public/?/../admin', 'public'], ['/public#/../admin', 'public'], ['/admin?/public/', 'admin']] as const) {
      const n = normalizePath(attempt);
      assert.ok(n.ok, attempt);
      assert.equal(table.match(undefined, n, 'GET')?.name, want, attempt);
    }
  });

  test('known ambiguous spellings are refused outright', () => {
    for (const attempt of ['/public/..%2fadmin', '/public%2f../admin', '/public/..\\admin', '/public/%5c../admin',
      '/public/..;/admin', '/public/%00/../admin', '/public/..%00/admin', '/public/%u2216admin', '/..', '/public/../..']) {
      assert.equal(normalizePath(attempt).ok, false, attempt);
    }
  });
});

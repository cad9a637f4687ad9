import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePath, MAX_PATH_BYTES } from '../../src/routing/index.js';

type Expect = { path: string; matchPath?: string; query?: string } | { refused: RegExp };

// [raw request-target, expected result]
const CASES: ReadonlyArray<readonly [string, Expect]> = [
  // plain and already-normal paths
  ['/', { path: '/' }],
  ['/a/b', { path: '/a/b' }],
  ['/a/b/', { path: '/a/b/' }],
  ['/.well-known/openid-configuration', { path: '/.well-known/openid-configuration' }],
  ['/a/..b/c', { path: '/a/..b/c' }],
  ['/a..b/v1.2/.x', { path: '/a..b/v1.2/.x' }],
  // dot segments (RFC 3986 §5.2.4)
  ['/a/./b', { path: '/a/b' }],
  ['/a/../b', { path: '/b' }],
  ['/a/b/..', { path: '/a/' }],
  ['/a/b/.', { path: '/a/b/' }],
  ['/./admin', { path: '/admin' }],
  ['/admin/.', { path: '/admin/' }],
  ['/a/..', { path: '/' }],
  ['/..', { refused: /above the root/ }],
  ['/a/../..', { refused: /above the root/ }],
  ['/../a', { refused: /above the root/ }],
  // encoded dots are unreserved and decode before dot segments are judged
  ['/a/%2e%2e/b', { path: '/b' }],
  ['/a/%2E%2E/b', { path: '/b' }],
  ['/a/.%2e/b', { path: '/b' }],
  ['/a/%2e./b', { path: '/b' }],
  ['/a/%2e/b', { path: '/a/b' }],
  ['/%2e%2e/a', { refused: /above the root/ }],
  // repeated slashes
  ['//a///b', { path: '/a/b' }],
  ['//', { path: '/' }],
  ['/a//', { path: '/a/' }],
  // unreserved escapes decode, others stay with upper-case hex (RFC 3986 §6.2.2)
  ['/%61dmin', { path: '/admin' }],
  ['/a/%7Euser', { path: '/a/~user' }],
  ['/a/%7euser/../b?x=1', { path: '/a/b', query: 'x=1' }],
  ['/a%20b', { path: '/a%20b' }],
  ['/%c3%a9', { path: '/%C3%A9' }],
  ['/50%25off/100%25', { path: '/50%25off/100%25' }],
  ['/c%2b%2b/a:b/%7e~x', { path: '/c%2B%2B/a:b/~~x' }],
  ['/%e6%97%a5%e6%9c%ac/%D0%9F%D1%80%D0%B8', { path: '/%E6%97%A5%E6%9C%AC/%D0%9F%D1%80%D0%B8' }],
  // raw non-ASCII octets are percent-encoded (Node reads the request line as latin1, so raw UTF-8 arrives as
  // one latin1 character per byte), and must then be valid UTF-8
  ['/caf\u00c3\u00a9', { path: '/caf%C3%A9' }],
  ['/caf\u00e9', { refused: /UTF-8/ }],
  // encoded reserved characters that split a path once decoded: ";" (parameters), "?" and "#" (query, fragment)
  ['/a%3bb', { refused: /encoded ";"/ }],
  ['/a%3Fb', { refused: /encoded "\?"/ }],
  ['/tags/c%23', { refused: /encoded "#"/ }],
  ['/public/..%3B/admin/secret', { refused: /encoded ";"/ }],
  ['/public/..%3f/admin', { refused: /encoded "\?"/ }],
  // names Windows-style servers trim: trailing ".", " ", "~" (in every ";" piece), 8.3 short names, NTFS streams
  ['/a/...', { refused: /ending in/ }],
  ['/a/..b/c.', { refused: /ending in/ }],
  ['/admin./x', { refused: /ending in/ }],
  ['/admin%2e/x', { refused: /ending in/ }],
  ['/admin%20/x', { refused: /ending in/ }],
  ['/admin.%20/x', { refused: /ending in/ }],
  ['/admin~/x', { refused: /ending in/ }],
  ['/~', { refused: /ending in/ }],
  ['/admin.;x/y', { refused: /ending in/ }],
  ['/admin;x./y', { refused: /ending in/ }],
  ['/ADMINI~1/x', { refused: /8\.3/ }],
  ['/admin::$DATA/x', { refused: /NTFS/ }],
  ['/admin:$i30:$INDEX_ALLOCATION/x', { refused: /NTFS/ }],
  ['/admin%3a%24DATA', { refused: /NTFS/ }],
  // double encoding: one more decode would change the name
  ['/%252e%252e/x', { refused: /double/ }],
  ['/a%2541', { refused: /double/ }],
  ['/a%25%34%31', { refused: /double/ }],
  ['/%25u002e%25u002e/x', { refused: /double/ }],
  ['/a%252f', { refused: /double/ }],
  // not UTF-8: overlong, truncated, surrogate, past U+10FFFF, stray continuation
  ['/%c0%ae%c0%ae/admin', { refused: /UTF-8/ }],
  ['/public/..%c0%af/admin', { refused: /UTF-8/ }],
  ['/%e0%80%ae', { refused: /UTF-8/ }],
  ['/%ed%a0%80', { refused: /UTF-8/ }],
  ['/%f4%90%80%80', { refused: /UTF-8/ }],
  ['/%c3', { refused: /UTF-8/ }],
  ['/%c3a', { refused: /UTF-8/ }],
  ['/%80', { refused: /UTF-8/ }],
  // Unicode that NFKC or case mapping turns into ASCII, and invisible characters
  ['/%ef%bc%8e%ef%bc%8e/admin', { refused: /NFKC/ }],
  ['/public/%ef%bc%8e%ef%bc%8e%ef%bc%8fadmin', { refused: /NFKC/ }],
  ['/%ef%bd%81dmin', { refused: /NFKC/ }],
  ['/%e2%80%a5', { refused: /NFKC/ }],
  ['/%e2%84%aaey', { refused: /NFKC/ }],
  ['/%c5%bfecret', { refused: /NFKC/ }],
  ['/admin%c2%a0', { refused: /NFKC/ }],
  ['/%ef%bc%bcadmin', { refused: /NFKC/ }],
  ['/cafe%cc%81', { refused: /NFKC/ }],
  ['/adm%c4%b1n', { refused: /case mapping/ }],
  ['/stra%c3%9fe', { refused: /case mapping/ }],
  ['/%c4%b0ndex', { refused: /case mapping/ }],
  ['/ad%c2%admin', { refused: /invisible/ }],
  ['/ad%e2%80%8bmin', { refused: /invisible/ }],
  // encoded separators, NUL and controls are refused
  ['/a%2fb', { refused: /%2F/ }],
  ['/a%2Fb', { refused: /%2F/ }],
  ['/a/..%2fadmin', { refused: /%2F/ }],
  ['/a%5cb', { refused: /%5C/ }],
  ['/a%5Cb', { refused: /%5C/ }],
  ['/a%00b', { refused: /NUL/ }],
  ['/a%0ab', { refused: /control/ }],
  ['/a%7fb', { refused: /control/ }],
  // raw backslash, NUL, controls, space
  ['/a\\b', { refused: /backslash/ }],
  ['/a\\..\\b', { refused: /backslash/ }],
  ['/a\u0000b', { refused: /control|NUL/ }],
  ['/a\tb', { refused: /control/ }],
  ['/a\r\nb', { refused: /control/ }],
  ['/a b', { refused: /space/ }],
  ['/a\u0100', { refused: /non-latin1/ }],
  // malformed escapes
  ['/a%', { refused: /malformed/ }],
  ['/a%1', { refused: /malformed/ }],
  ['/a%G1', { refused: /malformed/ }],
  ['/a%1G', { refused: /malformed/ }],
  ['/a%u002e', { refused: /malformed/ }],
  // ";" parameters: kept for the upstream, removed for matching
  ['/admin;x', { path: '/admin;x', matchPath: '/admin' }],
  ['/admin;jsessionid=1/panel', { path: '/admin;jsessionid=1/panel', matchPath: '/admin/panel' }],
  ['/admin/;x', { path: '/admin/;x', matchPath: '/admin/' }],
  ['/;x/admin', { path: '/;x/admin', matchPath: '/admin' }],
  ['/;x', { path: '/;x', matchPath: '/' }],
  ['/a;p/b;q/', { path: '/a;p/b;q/', matchPath: '/a/b/' }],
  ['/public/..;/admin', { refused: /dot segment/ }],
  ['/public/.;x/admin', { refused: /dot segment/ }],
  ['/public/%2e%2e;/admin', { refused: /dot segment/ }],
  // case is kept (RFC 3986 §6.2.2.1 covers only scheme, host and hex digits)
  ['/Admin/X', { path: '/Admin/X' }],
  // query and fragment never take part in matching
  ['/public/?/../admin', { path: '/public/', query: '/../admin' }],
  ['/public#/../admin', { path: '/public', query: '' }],
  ['/a?x=1#frag', { path: '/a', query: 'x=1' }],
  ['/a#f?x=1', { path: '/a', query: '' }],
  ['/a?', { path: '/a', query: '' }],
  ['/a?%zz', { path: '/a', query: '%zz' }],
  ['/a?b?c', { path: '/a', query: 'b?c' }],
  // absolute-form (RFC 9112 §3.2.2)
  ['http://host/p?q', { path: '/p', query: 'q' }],
  ['HTTPS://host:8443/a/../b', { path: '/b' }],
  ['http://host', { path: '/' }],
  ['http://host?x', { path: '/', query: 'x' }],
  ['http://user@host/p', { refused: /userinfo/ }],
  ['ftp://host/p', { refused: /scheme/ }],
  ['http:///p', { refused: /without a host/ }],
  // other forms
  ['*', { refused: /must start with/ }],
  ['host:443', { refused: /must start with/ }],
  ['', { refused: /must start with/ }],
  ['a/b', { refused: /must start with/ }],
];

describe('normalizePath', () => {
  for (const [raw, want] of CASES) {
    test(JSON.stringify(raw), () => {
      const got = normalizePath(raw);
      if ('refused' in want) {
        assert.equal(got.ok, false, `expected refusal, got ${JSON.stringify(got)}`);
        if (!got.ok) assert.match(got.reason, want.refused);
        return;
      }
      assert.equal(got.ok, true, `expected success, got ${JSON.stringify(got)}`);
      if (!got.ok) return;
      assert.equal(got.path, want.path);
      assert.equal(got.matchPath, want.matchPath ?? want.path);
      assert.equal(got.query, want.query ?? '');
    });
  }

  test('absolute-form returns its authority; origin-form has none', () => {
    const abs = normalizePath('http://Admin.Example.com:8080/x');
    assert.ok(abs.ok);
    assert.equal(abs.authority, 'Admin.Example.com:8080');
    const origin = normalizePath('/x');
    assert.ok(origin.ok);
    assert.equal(origin.authority, undefined);
  });

  test(`refuses paths over ${MAX_PATH_BYTES} bytes, accepts exactly ${MAX_PATH_BYTES}`, () => {
    const exact = '/' + 'a'.repeat(MAX_PATH_BYTES - 1);
    assert.equal(normalizePath(exact).ok, true);
    const over = normalizePath(exact + 'a');
    assert.equal(over.ok, false);
    if (!over.ok) assert.match(over.reason, /longer than/);
    // the query does not count towards the path limit
    assert.equal(normalizePath(exact + '?' + 'q'.repeat(10_000)).ok, true);
  });

  test('is idempotent on its own output', () => {
    for (const [raw] of CASES) {
      const first = normalizePath(raw);
      if (!first.ok) continue;
      const second = normalizePath(first.path);
      assert.ok(second.ok, raw);
      assert.equal(second.path, first.path, raw);
      assert.equal(second.matchPath, first.matchPath, raw);
    }
  });

  test('never throws on non-string input', () => {
    for (const bad of [undefined, null, 42, {}, ['/a'], Symbol('x')]) {
      const got = normalizePath(bad as unknown as string);
      assert.equal(got.ok, false);
    }
  });
});

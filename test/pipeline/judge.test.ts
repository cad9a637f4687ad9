// Stage 2, judge: client address, path, Host, reserved paths and route, from request facts alone (no socket), the
// same facts a forward-auth transport builds from the headers that describe an original request.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { judge } from '../../src/pipeline/2-judge/judge.js';
import { closeTable, facts, tableOf } from './helpers.js';

const table = tableOf([
  { name: 'admin', match: { host: 'admin.test', path: '/' }, policy: 'authenticated', upstream: 'app' },
  { name: 'writes', match: { path: '/api/', methods: ['POST'] }, policy: 'authenticated', upstream: 'app' },
  { name: 'public', match: { path: '/public/' }, policy: 'public', upstream: 'app' },
  { name: 'exact', match: { path: '/exact' }, policy: 'public', upstream: 'app' },
], { trusted_proxies: ['10.0.0.0/8'] });
after(() => closeTable(table));

test('what the judge concludes, request by request', () => {
  type Row = [what: string, input: ReturnType<typeof facts>, expected: Record<string, unknown>];
  const rows: Row[] = [
    ['a route by path', facts('/public/a?b=1'), { kind: 'route', route: 'public', pathAndQuery: '/public/a?b=1' }],
    ['the path as judged is the path forwarded', facts('/public/x/../a//b/%7Euser'), { kind: 'route', route: 'public', pathAndQuery: '/public/a/b/~user' }],
    ['a prefix route matches its bare prefix', facts('/public'), { kind: 'route', route: 'public', pathAndQuery: '/public' }],
    ['an exact route', facts('/exact'), { kind: 'route', route: 'exact' }],
    ['an exact route is not a prefix', facts('/exact/more'), { kind: 'refused', label: '_none', status: 404 }],
    ['a host route, case and port ignored', facts('/x', { host: 'ADMIN.test:8443' }), { kind: 'route', route: 'admin' }],
    ['a method-limited route refuses other methods', facts('/api/x', { method: 'GET' }), { kind: 'refused', label: '_none', status: 404 }],
    ['a method-limited route passes its method', facts('/api/x', { method: 'POST' }), { kind: 'route', route: 'writes' }],
    ['an encoded slash', facts('/public/a%2fb'), { kind: 'refused', label: '_invalid', status: 400, code: 'GATE_ERR_BAD_PATH' }],
    ['a path above the root', facts('/../etc/passwd'), { kind: 'refused', label: '_invalid', status: 400 }],
    ['a bad Host', facts('/public/', { host: 'bad host' }), { kind: 'refused', label: '_invalid', status: 400, code: 'GATE_ERR_BAD_REQUEST' }],
    ['absolute-form naming another host than Host', facts('http://admin.test/x', { host: 'other.test' }), { kind: 'refused', label: '_invalid', status: 400 }],
    ['absolute-form naming the Host', facts('http://admin.test/x', { host: 'admin.test' }), { kind: 'route', route: 'admin', pathAndQuery: '/x' }],
    ['reserved paths, however spelled', facts('/x/../%2egatehouse/login?rd=/a'), { kind: 'reserved', path: '/.gatehouse/login', query: 'rd=/a' }],
    ['the reserved prefix itself', facts('/.gatehouse'), { kind: 'reserved', path: '/.gatehouse' }],
    // Every reading an upstream may apply is judged (routing/route-table.ts): here the as-sent reading of a
    // case variant, or of a segment with ";" parameters, finds no route, so the request is refused.
    ['a case variant is not judged by the folded reading alone', facts('/PUBLIC/x'), { kind: 'refused', label: '_none', status: 404 }],
    ['parameters on the routed segment', facts('/public;v=1/x'), { kind: 'refused', label: '_none', status: 404 }],
    ['parameters below it are forwarded as sent', facts('/public/a;v=1'), { kind: 'route', route: 'public', pathAndQuery: '/public/a;v=1' }],
    ['a name Windows servers trim', facts('/public/x.'), { kind: 'refused', label: '_invalid', status: 400, code: 'GATE_ERR_BAD_PATH' }],
  ];
  for (const [what, input, expected] of rows) {
    const j = judge(input, table);
    assert.equal(j.kind, expected['kind'], what);
    if (j.kind === 'route') {
      assert.equal(j.route.name, expected['route'], what);
      if (expected['pathAndQuery'] !== undefined) assert.equal(j.pathAndQuery, expected['pathAndQuery'], what);
    } else if (j.kind === 'refused') {
      assert.equal(j.label, expected['label'], what);
      assert.equal(j.error.status, expected['status'], what);
      if (expected['code'] !== undefined) assert.equal(j.error.code, expected['code'], what);
    } else {
      assert.equal(j.path, expected['path'], what);
      if (expected['query'] !== undefined) assert.equal(j.query, expected['query'], what);
    }
  }
});

test('the client address: X-Forwarded-* believed only from a trusted peer', () => {
  const xff = { 'x-forwarded-for': '203.0.113.9, 10.1.1.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example' };
  const rows: [what: string, peer: string, headers: Record<string, string>, ip: string, forwardedFor: string, proto: string, host: string][] = [
    ['an untrusted peer is the client, whatever it claims', '192.0.2.7', xff, '192.0.2.7', '192.0.2.7', 'http', 'gatehouse.test'],
    ['a trusted peer: the right-most untrusted address', '10.0.0.2', xff, '203.0.113.9', '203.0.113.9, 10.1.1.1, 10.0.0.2', 'https', 'app.example'],
    ['an IPv4-mapped peer is the same peer', '::ffff:10.0.0.2', xff, '203.0.113.9', '203.0.113.9, 10.1.1.1, 10.0.0.2', 'https', 'app.example'],
    ['a trusted peer without X-Forwarded-For', '10.0.0.2', {}, '10.0.0.2', '10.0.0.2', 'http', 'gatehouse.test'],
  ];
  for (const [what, peer, headers, ip, forwardedFor, proto, host] of rows) {
    const j = judge(facts('/public/', { peer, headers }), table);
    assert.ok(j.kind === 'route', what);
    assert.deepEqual([j.client.ip, j.client.forwardedFor, j.client.forwardedProto, j.client.forwardedHost], [ip, forwardedFor, proto, host], what);
  }
});

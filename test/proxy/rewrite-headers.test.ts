// Headers some frameworks believe about a request's URL, method, scheme or client never reach an upstream: a
// request judged as GET /public/x must not act as DELETE /admin/users on an IIS, Symfony or method-override stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configObject, rawExchange, startGatehouse, startUpstream, validConfig } from '../helpers/core-net.js';

const REWRITERS = [
  'X-Original-URL: /admin/users', 'X-Rewrite-URL: /admin/users', 'X-Original-URI: /admin', 'X-HTTP-Method-Override: DELETE',
  'X-HTTP-Method: DELETE', 'X-Method-Override: DELETE', 'x_http_method_override: DELETE', 'X-Forwarded-Port: 443',
  'X-Forwarded-Prefix: /admin', 'X-Forwarded-Ssl: on', 'X-Forwarded-Scheme: https', 'True-Client-IP: 10.0.0.1',
  'X-Client-IP: 10.0.0.1', 'CF-Connecting-IP: 10.0.0.1', 'X-Cluster-Client-IP: 10.0.0.1',
];

test('URL-rewrite, method-override and client-address headers from clients are dropped on public routes', async () => {
  const upstream = await startUpstream('app');
  const gh = await startGatehouse(validConfig(configObject({ app: upstream.url }, [{ name: 'public', match: { path: '/public/' }, policy: 'public', upstream: 'app' }])));
  try {
    const answer = await rawExchange(gh.port, `GET /public/x HTTP/1.1\r\nHost: x\r\n${REWRITERS.join('\r\n')}\r\nConnection: close\r\n\r\n`);
    assert.equal(answer.status, 200);
    const got = upstream.requests.at(-1)!.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase().replaceAll('_', '-'));
    for (const line of REWRITERS) {
      const name = line.split(':')[0]!.toLowerCase().replaceAll('_', '-');
      assert.ok(!got.includes(name), `${name} was forwarded`);
    }
  } finally {
    await gh.close();
    await upstream.close();
  }
});

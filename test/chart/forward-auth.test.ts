// The chart's forward-auth objects (templates/forward-auth.yaml), rendered with test/chart/values/forward-auth.yaml
// (the example docs/forward-auth.md points to): ingress-nginx Ingresses annotated to ask Gatehouse, Traefik
// Middlewares, and the Gatehouse config they rely on.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { parseConfigText } from '../../src/config/index.js';
import { renderChart, type Rendered } from './chart-tools.js';
import { stringify } from 'yaml';

const HEADERS = 'X-Auth-User-Id,X-Auth-Email,X-Auth-Name,X-Auth-Roles,X-Auth-Orgs,X-Auth-Email-Verified,X-Auth-Amr';

describe('chart: forward-auth behind ingress-nginx and Traefik', () => {
  const render = (t: Parameters<typeof renderChart>[0], extra: Record<string, unknown>[] = []): Rendered | undefined => {
    const r = renderChart(t, ['forward-auth.yaml', ...extra]);
    if (r !== undefined) assert.ok(r.ok, `render failed:\n${r.stderr}`);
    return r;
  };

  test('each protected app gets an Ingress that asks Gatehouse and copies the identity headers', (t) => {
    const r = render(t);
    if (!r) return;
    const ingresses = r.all('Ingress');
    assert.deepEqual(ingresses.map((i) => i.metadata.name).sort(), ['demo-gatehouse', 'docs', 'shop']);
    const shop = ingresses.find((i) => i.metadata.name === 'shop')!;
    const a = shop.metadata.annotations!;
    assert.equal(a['nginx.ingress.kubernetes.io/auth-url'], 'http://demo-gatehouse.apps.svc.cluster.local:80/.gatehouse/authz/nginx');
    assert.equal(a['nginx.ingress.kubernetes.io/auth-signin'], 'https://auth.example.com/.gatehouse/authz/start');
    assert.equal(a['nginx.ingress.kubernetes.io/auth-response-headers'], HEADERS);
    assert.equal(a['nginx.ingress.kubernetes.io/configuration-snippet'].trim(),
      `more_clear_input_headers ${HEADERS.split(',').map((h) => `"${h}"`).join(' ')};`);
    assert.deepEqual(shop.spec.rules, [{ host: 'shop.example.com', http: { paths: [
      { path: '/', pathType: 'Prefix', backend: { service: { name: 'shop', port: { number: 8080 } } } },
    ] } }]);
    assert.deepEqual(shop.spec.tls, [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }]);
    assert.equal(shop.spec.ingressClassName, 'nginx');
    const docs = ingresses.find((i) => i.metadata.name === 'docs')!;
    assert.deepEqual(docs.spec.rules[0].http.paths[0].backend.service.port, { name: 'http' });
    // Gatehouse's own Ingress (its pages) asks nobody.
    const own = ingresses.find((i) => i.metadata.name === 'demo-gatehouse')!;
    assert.equal(own.metadata.annotations?.['nginx.ingress.kubernetes.io/auth-url'], undefined);
  });

  test('Traefik: a forwardAuth Middleware whose regex strips client copies, and one deleting underscore spellings', (t) => {
    const r = render(t);
    if (!r) return;
    const mws = r.all('Middleware');
    assert.deepEqual(mws.map((m) => [m.apiVersion, m.metadata.name]), [['traefik.io/v1alpha1', 'demo-gatehouse-forward-auth'], ['traefik.io/v1alpha1', 'demo-gatehouse-strip-identity']]);
    const fa = mws[0]!.spec.forwardAuth;
    assert.equal(fa.address, 'http://demo-gatehouse.apps.svc.cluster.local:80/.gatehouse/authz/traefik');
    assert.equal(fa.trustForwardHeader, false);
    const regex = new RegExp(fa.authResponseHeadersRegex.replace('(?i)', ''), 'i');
    for (const h of HEADERS.split(',')) assert.match(h, regex);
    assert.match('x-auth-roles', regex, 'case-insensitive, as Traefik compares canonical names');
    assert.doesNotMatch('X-Auth-User-Idx', regex);
    assert.deepEqual(Object.keys(mws[1]!.spec.headers.customRequestHeaders), HEADERS.split(',').map((h) => h.replace(/-/g, '_')));
    assert.ok(Object.values(mws[1]!.spec.headers.customRequestHeaders).every((v) => v === ''));
  });

  test('the rendered Gatehouse config is valid and shares the cookie across the domain', (t) => {
    const r = render(t);
    if (!r) return;
    const map = r.all('ConfigMap').find((m) => typeof m.data?.['gatehouse.yaml'] === 'string')!;
    const config = parseConfigText(map.data['gatehouse.yaml'] as string, { GATEHOUSE_DATABASE_URL: 'x' });
    assert.equal(config.sessions.cookie.domain, 'example.com');
    assert.equal(config.sessions.cookie.name, '__Secure-gatehouse');
    assert.deepEqual(config.server.trusted_proxies, ['10.0.0.0/8']);
    assert.ok(parse(stringify(config)));
  });

  test('without a sign-in URL the render fails naming the value; off by default', (t) => {
    const r = renderChart(t, ['forward-auth.yaml', { config: { server: { public_url: '' } } }]);
    if (!r) return;
    // public_url "" is not a URL either way: what matters is the message naming forwardAuth.signInUrl.
    assert.equal(r.ok, false);
    assert.match(r.stderr, /forwardAuth\.signInUrl/);
    const plain = renderChart(t, ['gateway-postgres.yaml']);
    if (!plain) return;
    assert.equal(plain.all('Middleware').length, 0);
    assert.ok(plain.all('Ingress').every((i) => i.metadata.annotations?.['nginx.ingress.kubernetes.io/auth-url'] === undefined));
  });
});

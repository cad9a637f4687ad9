// signed_identity's configuration: defaults, the per-route forms, and the overlap rule reported at its YAML path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { parseConfigText } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors/index.js';

const base = (extra: Record<string, unknown>, route: Record<string, unknown> = {}) => stringify({
  upstreams: { app: { url: 'http://127.0.0.1:8080' } },
  routes: [{ name: 'app', match: { path: '/' }, policy: 'authenticated', upstream: 'app', ...route }],
  ...extra,
});

test('defaults: off, X-Gatehouse-Assertion, 60 s, ES256, 30 d rotation, 5 min JWKS max-age, 30 s refresh, 10 min overlap', () => {
  const c = parseConfigText(base({}), {});
  assert.deepEqual(c.signed_identity, {
    enabled: false, header: 'X-Gatehouse-Assertion', lifetime: 60_000, algorithm: 'ES256',
    keys: { rotate_every: 30 * 86_400_000, jwks_max_age: 300_000, refresh_interval: 30_000, overlap: 600_000 },
  });
  assert.equal(c.routes[0]!.signed_identity, undefined);
  assert.deepEqual(parseConfigText(base({}, { signed_identity: { audience: 'urn:x' } }), {}).routes[0]!.signed_identity, { enabled: true, audience: 'urn:x' });
  assert.equal(parseConfigText(base({}, { signed_identity: false }), {}).routes[0]!.signed_identity, false);
});

test('problems are reported at their YAML paths: an overlap too short, a bad algorithm, a bad route block', () => {
  const paths = (text: string): string[] => {
    try {
      parseConfigText(text, {});
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.problems.map((p) => p.path);
    }
    return [];
  };
  // The overlap rule spans keys, so it is checked once the section's own keys are valid (zod runs refinements last).
  assert.deepEqual(paths(base({ signed_identity: { lifetime: '60s', keys: { refresh_interval: '30s', overlap: '100s' } } })), ['signed_identity.keys.overlap']);
  assert.deepEqual(paths(base({ signed_identity: { lifetime: '60s', keys: { refresh_interval: '30s', overlap: '120s' } } })), [], 'lifetime + 2 x refresh_interval is enough');
  assert.deepEqual(paths(base({ signed_identity: { algorithm: 'RS256' } }, { signed_identity: { audience: '' } })).sort(),
    ['routes[0].signed_identity.audience', 'signed_identity.algorithm']);
});

// The `auth.providers` schema (every problem at once, with its path), the email/claims policy as pure functions,
// and the start endpoint against a provider that is down or impersonated at discovery (SQLite: no accounts needed).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { parseConfigText } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors/index.js';
import { checkProfile, mapRoles, splitEmail } from '../../src/auth/oauth/claims.js';
import { OAuthFailure } from '../../src/auth/oauth/provider.js';
import type { OAuthProviderConfig } from '../../src/auth/oauth/config-schema.js';
import { redirectUriFor } from '../../src/auth/oauth/provider-registry.js';
import { googleProvider, GOOGLE_ISSUER } from '../../src/auth/oauth/google.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { sqliteDatabase, type TestDatabase } from '../store/databases.js';
import { closedPort, eventually, startUpstream, type TestUpstream } from '../helpers/core-net.js';
import { OAuthAgent } from '../helpers/oidc-agent.js';
import { pickPort, redirectUri, startOAuthGatehouse } from '../helpers/oidc-gatehouse.js';
import { startTestIdp, type TestIdp } from '../helpers/oidc-provider.js';
import type { FullGatehouse } from '../helpers/full-gatehouse.js';

const BASE = { upstreams: { app: { url: 'http://127.0.0.1:9' } }, routes: [] };

function problems(auth: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(stringify({ ...BASE, auth }), env);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

const oidc = { id: 'corp', type: 'oidc', issuer: 'https://idp.example.com', client_id: 'c', client_secret: 's' };

describe('auth.providers schema', () => {
  test('a valid set of providers, with defaults written down', () => {
    const config = parseConfigText(stringify({ ...BASE, auth: { default_provider: 'gh', providers: [oidc, { id: 'g', type: 'google', client_id: 'c', client_secret: '${G_SECRET}' }, { id: 'gh', type: 'github', client_id: 'c', client_secret: 's' }] } }), { G_SECRET: 'from-env' });
    const [corp, google, gh] = config.auth.providers;
    assert.equal(corp!.type === 'oidc' && corp!.issuer, 'https://idp.example.com');
    assert.deepEqual(corp!.type === 'oidc' && corp!.allowed_algorithms, ['RS256', 'ES256', 'PS256', 'EdDSA']);
    assert.equal(corp!.timeout, 5000);
    assert.equal(corp!.link_by_verified_email, false);
    assert.equal(google!.client_secret, 'from-env');
    assert.equal(gh!.type === 'github' && gh!.base_url, 'https://github.com');
    assert.equal(gh!.type === 'github' && gh!.api_url, 'https://api.github.com');
    assert.ok(Object.isFrozen(config.auth.providers[0]));
  });

  test('every problem at once, with its YAML path', () => {
    const found = problems({
      default_provider: 'nope',
      providers: [
        { ...oidc, allowed_algorithms: ['none'] },
        { ...oidc, id: 'hs', allowed_algorithms: ['HS256'] },
        { ...oidc, id: 'plain', issuer: 'http://idp.example.com' },
        { ...oidc, id: 'Bad Id' },
        { ...oidc, id: 'extra', surprise: true },
        { ...oidc, id: 'dom', allowed_email_domains: ['@example.com', '*.example.com'] },
        { id: 'x', type: 'saml', client_id: 'c', client_secret: 's' },
      ],
    });
    const text = found.join('\n');
    assert.match(text, /auth\.providers\[0\]\.allowed_algorithms\[0\]: expected one of "RS256".*"EdDSA", got string "none"/);
    assert.match(text, /auth\.providers\[1\]\.allowed_algorithms\[0\]: .*got string "HS256"/);
    assert.match(text, /auth\.providers\[2\]\.issuer: expected an https:\/\/ URL/);
    assert.match(text, /auth\.providers\[3\]\.id/);
    assert.match(text, /auth\.providers\[4\]\.surprise: unknown key/);
    assert.match(text, /auth\.providers\[5\]\.allowed_email_domains\[0\]/);
    assert.match(text, /auth\.providers\[5\]\.allowed_email_domains\[1\]/);
    assert.match(text, /auth\.providers\[6\]/);
  });

  test('default_provider must name a configured provider; ids are unique; secrets come from the environment', () => {
    assert.match(problems({ default_provider: 'nope', providers: [oidc] }).join('\n'), /auth\.default_provider: unknown provider "nope" \(configured: corp\)/);
    assert.match(problems({ providers: [oidc, oidc] }).join('\n'), /auth\.providers\[1\]\.id: duplicate provider id "corp"/);
    assert.match(problems({ providers: [{ ...oidc, client_secret: '${MISSING_SECRET}' }] }).join('\n'), /auth\.providers\[0\]\.client_secret: environment variable MISSING_SECRET is not set/);
    assert.deepEqual(problems({ providers: [{ ...oidc, issuer: 'http://127.0.0.1:8080' }] }), [], 'plain http on loopback is allowed (development)');
  });

  test('the redirect URI is public_url + the callback path; the Google preset uses Google\'s issuer', () => {
    assert.equal(redirectUriFor('https://auth.example.com', 'corp'), 'https://auth.example.com/.gatehouse/oauth/corp/callback');
    assert.equal(redirectUriFor('https://auth.example.com/', 'corp'), 'https://auth.example.com/.gatehouse/oauth/corp/callback');
    const config = parseConfigText(stringify({ ...BASE, auth: { providers: [{ id: 'g', type: 'google', client_id: 'c', client_secret: 's', allowed_email_domains: ['example.com'] }] } }), {});
    const provider = config.auth.providers[0]!;
    assert.equal(provider.type, 'google');
    const google = googleProvider(provider as Extract<typeof provider, { type: 'google' }>, 'https://a.example/cb', createMetrics());
    assert.equal(GOOGLE_ISSUER, 'https://accounts.google.com');
    assert.equal(google.label, 'Google');
    assert.equal(google.usesNonce, true);
  });
});

describe('email and claims policy', () => {
  test('splitEmail: exactly one "@", a real domain, no quotes or controls', () => {
    assert.deepEqual(splitEmail('Carol@EXAMPLE.com'), { local: 'Carol', domain: 'example.com' });
    for (const bad of ['a@b@example.com', '"a@b"@example.com', 'a@', '@example.com', 'a', 'a@example.com.', 'a@exa mple.com', 'a@example.com\n', 'a@example.com:443', 'a@-example.com', `${'a'.repeat(250)}@example.com`]) {
      assert.equal(splitEmail(bad), undefined, bad);
    }
  });

  const base = { id: 'corp', type: 'oidc', issuer: 'https://x', client_id: 'c', client_secret: 's', allowed_algorithms: ['RS256'], link_by_verified_email: false, timeout: 5000 } as const;
  const profile = (email: string | null, verified = true, claims: Record<string, unknown> = {}) => ({ subject: 's', email, emailVerified: verified, name: null, claims });
  const reason = (fn: () => unknown) => {
    try {
      fn();
      return 'ok';
    } catch (err) {
      assert.ok(err instanceof OAuthFailure);
      return err.reason;
    }
  };

  test('checkProfile: domains exact and case-insensitive; required claims typed and exact', () => {
    const cfg = { ...base, allowed_email_domains: ['example.com'], required_claims: { groups: ['staff'], tenant: [42] }, role_mapping: {} } as unknown as OAuthProviderConfig;
    assert.equal(reason(() => checkProfile(profile('a@EXAMPLE.COM', true, { groups: ['x', 'staff'], tenant: 42 }), cfg)), 'ok');
    assert.equal(reason(() => checkProfile(profile('a@sub.example.com', true, { groups: ['staff'], tenant: 42 }), cfg)), 'email_domain');
    assert.equal(reason(() => checkProfile(profile('a@example.com', true, { groups: ['Staff'], tenant: 42 }), cfg)), 'claim_missing');
    assert.equal(reason(() => checkProfile(profile('a@example.com', true, { groups: ['staff'], tenant: '42' }), cfg)), 'claim_missing');
    assert.equal(reason(() => checkProfile(profile('a@example.com', true, { groups: 'staff', tenant: 42 }), cfg)), 'ok');
    assert.equal(reason(() => checkProfile(profile('a@example.com', false, { groups: ['staff'], tenant: 42 }), cfg)), 'email_unverified');
    assert.equal(reason(() => checkProfile(profile(null), cfg)), 'email_missing');
  });

  test('mapRoles: managed roles follow the claims; others are kept', () => {
    const mapping = { groups: { admins: ['admin'], auditors: ['auditor', 'reader'] }, tier: { gold: ['vip'] } };
    assert.deepEqual(mapRoles(['billing', 'admin'], { groups: ['auditors'], tier: 'gold' }, mapping), ['billing', 'auditor', 'reader', 'vip']);
    assert.deepEqual(mapRoles(['billing', 'admin'], {}, mapping), ['billing']);
    assert.deepEqual(mapRoles([], { groups: [{ admins: true }] }, mapping), [], 'non-scalar claim values never match');
  });
});

describe('start endpoint against a provider that is down or impersonated', () => {
  let db: TestDatabase;
  let upstream: TestUpstream;
  let impostor: TestIdp;
  let gh: FullGatehouse;

  before(async () => {
    db = sqliteDatabase();
    upstream = await startUpstream('app');
    const port = await pickPort();
    impostor = await startTestIdp({ clients: [{ client_id: 'x', client_secret: 'y', redirect_uris: [redirectUri(`http://127.0.0.1:${port}`, 'fake')] }] });
    // The impostor's metadata names another issuer (OpenID Connect Discovery §4.3).
    impostor.misbehave = { discovery: (body) => ({ ...body, issuer: 'https://accounts.example.com' }) };
    gh = await startOAuthGatehouse(db, port, { app: upstream.url }, [{ name: 'private', match: { path: '/' }, policy: 'authenticated', upstream: 'app' }], {
      auth: {
        providers: [
          { id: 'down', type: 'oidc', issuer: `http://127.0.0.1:${await closedPort()}`, client_id: 'x', client_secret: 'y', timeout: '1s' },
          { id: 'fake', type: 'oidc', issuer: impostor.issuer, client_id: 'x', client_secret: 'y' },
        ],
      },
    });
  });
  after(async () => {
    await gh?.stop();
    await impostor?.close();
    await upstream?.close();
    await db?.drop();
  });

  test('a provider that is down: 503 page, oauth.error audit, Retry-After, and Gatehouse keeps serving', async () => {
    const agent = new OAuthAgent();
    const answer = await agent.get(`${gh.base}/.gatehouse/oauth/down/start?rd=/x`);
    assert.equal(answer.status, 503);
    assert.match(answer.body, /unreachable or too slow/);
    assert.equal(answer.headers['retry-after'], '1');
    assert.equal(answer.headers['referrer-policy'], 'no-referrer');
    assert.equal(answer.headers['set-cookie'], undefined, 'no transaction started');
    const json = await new OAuthAgent({ accept: 'application/json' }).get(`${gh.base}/.gatehouse/oauth/down/start`);
    assert.equal(json.status, 503);
    assert.equal(JSON.parse(json.body).code, 'GATE_ERR_OAUTH_PROVIDER_UNAVAILABLE');
    await eventually(3000, 'oauth.error audit', async () => (await gh.store.audit.list({ action: 'oauth.error' })).items
      .some((e) => (e.data as Record<string, unknown>)['reason'] === 'provider_unavailable'));
    assert.equal((await agent.get(`${gh.base}/.gatehouse/login`)).status, 200);
  });

  test('discovery metadata naming another issuer is refused (no redirect to the impostor)', async () => {
    const answer = await new OAuthAgent({ accept: 'application/json' }).get(`${gh.base}/.gatehouse/oauth/fake/start?rd=/`);
    assert.notEqual(answer.status, 302);
    assert.equal(JSON.parse(answer.body).reason, 'issuer_mismatch');
  });

  test('unknown provider ids and other methods are 404/405', async () => {
    assert.equal((await new OAuthAgent().get(`${gh.base}/.gatehouse/oauth/nope/start`)).status, 404);
    assert.equal((await new OAuthAgent().request('POST', `${gh.base}/.gatehouse/oauth/down/callback`)).status, 405);
  });
});

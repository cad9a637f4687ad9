// OpenID Connect and GitHub login end to end, on each real database, against a real OpenID provider (oidc-provider)
// with a misbehaving layer for the attacks it will not perform itself (see test/helpers/oidc-provider.ts).
// Each attack test names the class it covers: RFC 9700 (OAuth 2.0 Security BCP), RFC 9207 (issuer identification),
// OpenID Connect Core 3.1.3.7 (ID token validation), and advisories against oauth2-proxy, Pomerium and Authelia.
import { after, before, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { TransactionSealer, TRANSACTION_TTL_MS } from '../../src/auth/oauth/login-transaction.js';
import { describeEachDriver } from '../helpers/drivers.js';
import { eventually, sample, scrape, send } from '../helpers/core-net.js';
import { authorizeAtProvider, OAuthAgent } from '../helpers/oidc-agent.js';
import { generateIdpKey } from '../helpers/oidc-provider.js';
import { assertFailure, auditedFailure, authorize, login, startWorld, type OAuthWorld } from './fixture.js';

function lastUpstreamHeaders(world: OAuthWorld) {
  const r = world.upstream.requests.at(-1);
  assert.ok(r, 'the upstream received a request');
  return r.headers;
}

/** Delivers a callback URL after `edit` changed its query. */
async function deliver(agent: OAuthAgent, callback: URL, edit: (q: URLSearchParams) => void = () => undefined, headers: Record<string, string> = {}) {
  const url = new URL(callback);
  edit(url.searchParams);
  return agent.get(url, headers);
}

await describeEachDriver('oauth login', (_driver, makeDatabase) => {
  let world: OAuthWorld;

  before(async () => { world = await startWorld(await makeDatabase()); });
  after(async () => {
    await world?.close();
    await world?.db.drop();
  });

  // ---- the happy paths -------------------------------------------------------------------------------------

  test('happy path: protected page -> default provider -> login page -> back with identity headers', async () => {
    const agent = new OAuthAgent();
    const first = await agent.get(`${world.base}/private/report?x=1`);
    assert.equal(first.status, 302, 'auth.default_provider sends the browser straight to the provider');
    assert.equal(first.location?.pathname, '/.gatehouse/oauth/corp/start');
    assert.equal(first.location?.searchParams.get('rd'), '/private/report?x=1');
    const start = await agent.get(first.location!);
    assert.equal(start.status, 302);
    assert.equal(start.headers['referrer-policy'], 'no-referrer');
    const authz = start.location!;
    assert.equal(authz.origin, world.idp.issuer);
    assert.equal(authz.searchParams.get('code_challenge_method'), 'S256');
    assert.match(authz.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.match(authz.searchParams.get('state') ?? '', /^[A-Za-z0-9_-]{40,}$/);
    assert.match(authz.searchParams.get('nonce') ?? '', /^[A-Za-z0-9_-]{40,}$/);
    assert.equal(authz.searchParams.get('redirect_uri'), `${world.base}/.gatehouse/oauth/corp/callback`);
    assert.equal(authz.searchParams.get('response_type'), 'code');
    const txCookie = String(start.headers['set-cookie']);
    assert.match(txCookie, /^gatehouse-oauth-[0-9a-f]{16}=[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600/);

    const callback = await authorizeAtProvider(agent, authz, 'alice', { returnTo: world.base });
    assert.equal(callback.searchParams.get('iss'), world.idp.issuer, 'oidc-provider sends iss (RFC 9207)');
    const done = await agent.get(callback);
    assert.equal(done.status, 303, done.body);
    assert.equal(done.location?.pathname, '/private/report');
    assert.equal(done.headers['referrer-policy'], 'no-referrer');
    const cookies = ([] as string[]).concat(done.headers['set-cookie'] ?? []);
    assert.ok(cookies.some((c) => /^gh_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax/.test(c)), 'session cookie');
    assert.ok(cookies.some((c) => /^gatehouse-oauth-[0-9a-f]{16}=; .*Max-Age=0/.test(c)), 'transaction cookie deleted');

    const page = await agent.get(`${world.base}/private/report?x=1`, { 'x-auth-email': 'spoofed@evil.test' });
    assert.equal(page.status, 200);
    const h = lastUpstreamHeaders(world);
    assert.equal(h['x-auth-email'], 'alice@example.com');
    assert.equal(h['x-auth-name'], 'Alice Admin');
    assert.equal(h['x-auth-roles'], 'admin', 'groups: admins -> admin');
    assert.doesNotMatch(String(h['cookie'] ?? ''), /gatehouse-oauth|gh_session/, 'own cookies never reach the upstream');
    const user = await world.gh.store.users.getByEmail('alice@example.com');
    assert.ok(user);
    assert.equal(user.passwordHash, null);
    const links = await world.gh.store.identities.listForUser(user.id);
    assert.deepEqual(links.map((l) => l.provider), ['corp']);
    await eventually(3000, 'audit of the oauth login', async () => (await world.gh.store.audit.list({ action: 'user.login', actor: user.id })).items
      .some((e) => (e.data as Record<string, unknown>)['method'] === 'oauth' && (e.data as Record<string, unknown>)['provider'] === 'corp'));
    const metrics = await scrape(world.gh.adminPort);
    assert.ok((sample(metrics, 'gatehouse_login_attempts_total', { method: 'oauth', provider: 'corp', result: 'success' }) ?? 0) >= 1);
    for (const endpoint of ['discovery', 'token', 'userinfo', 'jwks']) {
      assert.ok((sample(metrics, 'gatehouse_oauth_provider_request_duration_seconds_count', { provider: 'corp', endpoint }) ?? 0) >= 1, endpoint);
    }
  });

  test('the login page offers every provider; API clients get 401, not a redirect', async () => {
    const page = await new OAuthAgent().get(`${world.base}/.gatehouse/login`);
    for (const id of ['corp', 'linking', 'partner', 'gh']) assert.match(page.body, new RegExp(`/\\.gatehouse/oauth/${id}/start\\?rd=`));
    assert.match(page.body, /Sign in with Corp SSO/);
    assert.match(page.body, /Sign in with GitHub/);
    const api = await new OAuthAgent({ accept: 'application/json' }).get(`${world.base}/private/x`);
    assert.equal(api.status, 401);
  });

  test('two providers at once, and parallel tabs: each transaction finishes on its own, in any order', async () => {
    const agent = new OAuthAgent();
    const tabCorp = await authorize(world, agent, 'corp', 'carol', '/private/corp');
    const tabPartner = await authorize(world, agent, 'partner', 'bob', '/private/partner');
    const partner = await agent.get(tabPartner);
    assert.equal(partner.status, 303, partner.body);
    assert.equal(partner.location?.pathname, '/private/partner');
    assert.equal((await agent.get(`${world.base}/private/partner`)).status, 200);
    assert.equal(lastUpstreamHeaders(world)['x-auth-email'], 'bob@partner.test');
    const corp = await agent.get(tabCorp);
    assert.equal(corp.status, 303, corp.body);
    assert.equal(corp.location?.pathname, '/private/corp');
    assert.equal((await agent.get(`${world.base}/private/corp`)).status, 200);
    assert.equal(lastUpstreamHeaders(world)['x-auth-email'], 'Carol@EXAMPLE.com', 'domain compared case-insensitively');
  });

  test('role mapping follows the groups claim at every login; locally granted roles are kept', async () => {
    const agent = new OAuthAgent();
    assert.equal((await login(world, agent, 'corp', 'alice')).status, 303);
    assert.equal((await agent.get(`${world.base}/admin/panel`)).status, 200);
    const alice = (await world.gh.store.users.getByEmail('alice@example.com'))!;
    await world.gh.auth.accounts.setRoles(alice.id, ['admin', 'billing'], { actor: null });
    world.idp.accounts.set('alice', { ...world.idp.accounts.get('alice')!, groups: ['auditors'] });
    try {
      assert.equal((await login(world, agent, 'corp', 'alice')).status, 303);
      assert.equal((await agent.get(`${world.base}/admin/panel`)).status, 403, 'admin removed with the group');
      await agent.get(`${world.base}/private/roles`);
      assert.equal(lastUpstreamHeaders(world)['x-auth-roles'], 'billing,auditor');
    } finally {
      world.idp.accounts.set('alice', { ...world.idp.accounts.get('alice')!, groups: ['admins', 'staff'] });
    }
  });

  test('rd: open redirects are refused exactly as for local login (RFC 9700 §4.11)', async () => {
    for (const rd of ['https://evil.test/', '//evil.test/', '/\\evil.test', 'javascript:alert(1)']) {
      const done = await login(world, new OAuthAgent(), 'corp', 'carol', rd);
      assert.equal(done.status, 303);
      assert.equal(done.headers.location, '/', rd);
    }
  });

  test('the redirect URI comes from configuration, never from Host or X-Forwarded-Host', async () => {
    const start = await send(world.gh.port, {
      path: '/.gatehouse/oauth/corp/start?rd=/', headers: { host: 'evil.test', 'x-forwarded-host': 'evil.test', 'x-forwarded-proto': 'https' },
    });
    assert.equal(start.status, 302);
    assert.equal(new URL(start.headers.location!).searchParams.get('redirect_uri'), `${world.base}/.gatehouse/oauth/corp/callback`);
  });

  // ---- state, transaction, replay (RFC 9700 §2.1, §4.7; CSRF on the redirect URI) ----------------------------

  test('state missing or empty: refused, audited, counted', async () => {
    const agent = new OAuthAgent();
    assertFailure(await deliver(agent, await authorize(world, agent, 'corp', 'carol'), (q) => q.delete('state')), 'state_missing', 400);
    assertFailure(await deliver(agent, await authorize(world, agent, 'corp', 'carol'), (q) => q.set('state', '')), 'state_missing', 400);
    await auditedFailure(world, 'state_missing', 'corp');
    const metrics = await scrape(world.gh.adminPort);
    assert.ok((sample(metrics, 'gatehouse_login_attempts_total', { method: 'oauth', provider: 'corp', result: 'failure' }) ?? 0) >= 2);
  });

  test('state mismatched, repeated, or the transaction cookie tampered with: refused', async () => {
    const agent = new OAuthAgent();
    assertFailure(await deliver(agent, await authorize(world, agent, 'corp', 'carol'), (q) => q.set('state', 'A'.repeat(43))), 'state_mismatch');
    assertFailure(await deliver(agent, await authorize(world, agent, 'corp', 'carol'), (q) => q.append('state', 'A'.repeat(43))), 'state_mismatch');
    const callback = await authorize(world, agent, 'corp', 'carol');
    const jar = agent.jar(world.base);
    for (const [name, value] of jar) if (name.startsWith('gatehouse-oauth-')) jar.set(name, value.slice(0, 20) + (value[20] === 'A' ? 'B' : 'A') + value.slice(21));
    assertFailure(await agent.get(callback), 'state_mismatch');
    await auditedFailure(world, 'state_mismatch');
  });

  test('login CSRF: an attacker\'s callback URL delivered to a victim\'s browser is refused (no transaction there)', async () => {
    const attacker = new OAuthAgent();
    const callback = await authorize(world, attacker, 'corp', 'carol');
    const victim = new OAuthAgent();
    assertFailure(await victim.get(callback), 'state_mismatch');
    assert.equal((await victim.get(`${world.base}/private/x`)).status, 302, 'the victim is not logged in as the attacker');
  });

  test('replayed callback: the transaction is single-use even with the cookie presented again', async () => {
    const agent = new OAuthAgent();
    const callback = await authorize(world, agent, 'corp', 'carol');
    const cookie = [...agent.jar(world.base)].map(([k, v]) => `${k}=${v}`).join('; ');
    assert.equal((await agent.get(callback)).status, 303);
    const replay = await new OAuthAgent().get(callback, { cookie });
    assertFailure(replay, 'replayed');
    await auditedFailure(world, 'replayed');
  });

  test('mix-up (RFC 9700 §4.4): a transaction started at one provider cannot be finished at another\'s callback', async () => {
    const agent = new OAuthAgent();
    const callback = await authorize(world, agent, 'corp', 'carol');
    const swapped = new URL(callback);
    swapped.pathname = '/.gatehouse/oauth/partner/callback';
    assertFailure(await agent.get(swapped), 'provider_mismatch');
  });

  test('expired transaction: a callback after the 10-minute lifetime is refused, even if the browser kept the cookie', async () => {
    const agent = new OAuthAgent();
    const callback = await authorize(world, agent, 'corp', 'carol');
    // Re-seal this browser's transaction with the server's own key as if it had started 11 minutes ago (the
    // browser would have dropped the cookie at Max-Age; this is the server-side check behind it).
    const jar = agent.jar(world.base);
    const name = [...jar.keys()].find((k) => k.startsWith('gatehouse-oauth-'))!;
    const past = Date.now() - 11 * 60_000;
    const sealer = await TransactionSealer.create({ settings: world.gh.store.settings, attempts: world.gh.store.loginAttempts, secure: false, now: () => past });
    const state = callback.searchParams.get('state')!;
    const [setCookie] = sealer.seal({ headers: {} } as IncomingMessage, {
      provider: 'corp', state, codeVerifier: 'v'.repeat(43), nonce: 'n'.repeat(43), rd: '/', expiresAt: past + TRANSACTION_TTL_MS,
    });
    assert.equal(sealer.cookieName(state), name);
    jar.set(name, /=([^;]*)/.exec(setCookie!)![1]!);
    assertFailure(await agent.get(callback), 'transaction_expired');
  });

  // ---- code injection and PKCE (RFC 9700 §4.5, §2.1.1) -------------------------------------------------------

  test('PKCE: a code obtained in another session is refused by the token endpoint (verifier mismatch)', async () => {
    const attacker = new OAuthAgent();
    const stolen = await authorize(world, attacker, 'corp', 'carol');
    const victim = new OAuthAgent();
    const own = await authorize(world, victim, 'corp', 'alice');
    const injected = await deliver(victim, own, (q) => q.set('code', stolen.searchParams.get('code')!));
    assertFailure(injected, 'code_rejected');
    await auditedFailure(world, 'code_rejected');
  });

  // ---- RFC 9207 and ID token validation (OpenID Connect Core 3.1.3.7) ----------------------------------------

  test('issuer: a wrong iss response parameter, or none although the metadata promises it, is refused', async () => {
    const agent = new OAuthAgent();
    assertFailure(await deliver(agent, await authorize(world, agent, 'corp', 'carol'), (q) => q.set('iss', world.idp2.issuer)), 'issuer_mismatch');
    assertFailure(await deliver(agent, await authorize(world, agent, 'corp', 'carol'), (q) => q.delete('iss')), 'issuer_mismatch');
    await auditedFailure(world, 'issuer_mismatch');
  });

  /** Runs one login whose ID token the misbehaving layer rewrites; returns the callback's answer. */
  async function withIdToken(change: Parameters<OAuthWorld['idp']['resignIdToken']>[1], key?: Parameters<OAuthWorld['idp']['resignIdToken']>[2], raw?: (token: string) => string) {
    world.idp.misbehave = {
      token: async (body) => ({ ...body, id_token: raw ? raw(body['id_token'] as string) : await world.idp.resignIdToken(body['id_token'] as string, change, key) }),
    };
    try {
      return await login(world, new OAuthAgent(), 'corp', 'carol');
    } finally {
      world.idp.misbehave = {};
    }
  }

  test('the misbehaving layer itself is transparent: a re-signed but unchanged ID token is accepted', async () => {
    assert.equal((await withIdToken(() => undefined)).status, 303);
  });

  test('ID token: issuer, audience, azp', async () => {
    assertFailure(await withIdToken((c) => { c.iss = world.idp2.issuer; }), 'issuer_mismatch');
    assertFailure(await withIdToken((c) => { c.aud = 'someone-else'; }), 'invalid_id_token');
    assertFailure(await withIdToken((c) => { c.aud = ['corp-client', 'someone-else']; }), 'invalid_id_token');
    assertFailure(await withIdToken((c) => { c.aud = ['corp-client', 'someone-else']; (c as Record<string, unknown>)['azp'] = 'someone-else'; }), 'invalid_id_token');
  });

  test('ID token: nonce wrong or missing', async () => {
    assertFailure(await withIdToken((c) => { c['nonce'] = 'a-nonce-from-another-login'; }), 'nonce_mismatch');
    assertFailure(await withIdToken((c) => { delete c['nonce']; }), 'nonce_mismatch');
  });

  test('ID token: expired, issued in the future, not yet valid', async () => {
    const now = Math.floor(Date.now() / 1000);
    assertFailure(await withIdToken((c) => { c.exp = now - 120; c.iat = now - 720; }), 'invalid_id_token');
    assertFailure(await withIdToken((c) => { c.iat = now + 3600; c.exp = now + 7200; }), 'invalid_id_token');
    assertFailure(await withIdToken((c) => { c.nbf = now + 3600; }), 'invalid_id_token');
  });

  test('ID token: bad signature, alg none, HS256 with the client secret, a key not in the JWKS', async () => {
    assertFailure(await withIdToken(() => undefined, undefined, (t) => {
      const [h, p, s] = t.split('.');
      return `${h}.${p}.${s!.slice(0, 10)}${s![10] === 'A' ? 'B' : 'A'}${s!.slice(11)}`;
    }), 'invalid_id_token');
    assertFailure(await withIdToken((_c, h) => { h.alg = 'none'; }), 'invalid_id_token');
    const { SignJWT, decodeJwt } = await import('jose');
    assertFailure(await withIdToken(() => undefined, undefined, () => 'not.a-jwt'), 'invalid_id_token');
    world.idp.misbehave = {
      token: async (body) => ({
        ...body,
        id_token: await new SignJWT(decodeJwt(body['id_token'] as string)).setProtectedHeader({ alg: 'HS256', kid: world.idp.key.kid })
          .sign(new TextEncoder().encode('corp-secret-0123456789')),
      }),
    };
    try {
      assertFailure(await login(world, new OAuthAgent(), 'corp', 'carol'), 'invalid_id_token');
    } finally {
      world.idp.misbehave = {};
    }
    const stranger = await generateIdpKey(world.idp.key.kid);
    assertFailure(await withIdToken(() => undefined, stranger), 'invalid_id_token');
  });

  test('userinfo for another subject is refused (OpenID Connect Core 5.3.2)', async () => {
    world.idp.misbehave = { userinfo: (body) => ({ ...body, sub: 'alice', email: 'alice@example.com' }) };
    try {
      assertFailure(await login(world, new OAuthAgent(), 'corp', 'carol'), 'userinfo_mismatch');
    } finally {
      world.idp.misbehave = {};
    }
    await auditedFailure(world, 'userinfo_mismatch');
  });

  // ---- provider errors and outages ---------------------------------------------------------------------------

  test('access denied at the provider: a clear page, audited as denied', async () => {
    const agent = new OAuthAgent();
    const callback = await authorize(world, agent, 'corp', 'carol', '/private/x', { abort: true });
    assert.equal(callback.searchParams.get('error'), 'access_denied');
    const answer = await agent.get(callback);
    assertFailure(answer, 'access_denied', 403);
    assert.match(answer.body, /did not grant access/);
    assert.match(answer.body, /Try again/);
    const json = await deliver(new OAuthAgent({ accept: 'application/json' }), callback);
    assert.equal(json.status, 400, 'a replayed error response is a state failure (the transaction was spent)');
    await auditedFailure(world, 'access_denied', 'corp');
    const metrics = await scrape(world.gh.adminPort);
    assert.ok((sample(metrics, 'gatehouse_login_attempts_total', { method: 'oauth', provider: 'corp', result: 'denied' }) ?? 0) >= 1);
  });

  test('provider down, slow or failing at the token endpoint: 503 within the timeout, and the existing session survives', async () => {
    const agent = new OAuthAgent();
    assert.equal((await login(world, agent, 'corp', 'carol')).status, 303);
    assert.equal((await agent.get(`${world.base}/private/still`)).status, 200);

    let callback = await authorize(world, agent, 'corp', 'carol');
    world.idp.misbehave = { down: true };
    assertFailure(await agent.get(callback), 'provider_unavailable', 503);

    world.idp.misbehave = {};
    callback = await authorize(world, agent, 'corp', 'carol');
    world.idp.misbehave = { delayMs: 4000, delayPath: '/token' };
    const started = Date.now();
    assertFailure(await agent.get(callback), 'provider_unavailable', 503);
    assert.ok(Date.now() - started < 3500, `bounded by the 1.5 s provider timeout (took ${Date.now() - started} ms)`);

    world.idp.misbehave = {};
    callback = await authorize(world, agent, 'corp', 'carol');
    world.idp.misbehave = { tokenStatus: 502 };
    assertFailure(await agent.get(callback), 'provider_unavailable', 503);
    world.idp.misbehave = {};

    assert.equal((await agent.get(`${world.base}/private/still`)).status, 200, 'transient provider failures never end sessions');
    await auditedFailure(world, 'provider_unavailable');
    const metrics = await scrape(world.gh.adminPort);
    assert.ok((sample(metrics, 'gatehouse_login_attempts_total', { method: 'oauth', provider: 'corp', result: 'error' }) ?? 0) >= 3);
  });

  // ---- who may sign in: emails, domains, claims --------------------------------------------------------------

  test('emails: outside the allowed domains, look-alike domains, two "@", quoted local parts are refused', async () => {
    for (const who of ['eve', 'lookalike1', 'lookalike2', 'twoats', 'quoted']) {
      assertFailure(await login(world, new OAuthAgent(), 'corp', who), 'email_domain', 403);
    }
    await auditedFailure(world, 'email_domain');
    assert.equal(await world.gh.store.users.getByEmail('mallory@evil.test@example.com'), null);
  });

  test('emails: unverified (false, or the string "true") and missing are refused', async () => {
    assertFailure(await login(world, new OAuthAgent(), 'corp', 'unverified'), 'email_unverified', 403);
    assertFailure(await login(world, new OAuthAgent(), 'corp', 'stringverified'), 'email_unverified', 403);
    assertFailure(await login(world, new OAuthAgent(), 'corp', 'noemail'), 'email_missing', 403);
  });

  test('required claims: a user outside the required group is refused', async () => {
    assertFailure(await login(world, new OAuthAgent(), 'linking', 'nostaff'), 'claim_missing', 403);
    await auditedFailure(world, 'claim_missing', 'linking');
  });

  // ---- accounts: find by (provider, subject), link by verified email only when allowed -------------------------

  test('an existing local account is never taken over by email unless the provider links by verified email', async () => {
    // A password someone set before the email's owner ever signed in (pre-account takeover: anyone may register).
    const local = await world.gh.store.users.create({ email: 'local-user@example.com', name: 'Local', passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA', roles: ['billing'] });
    const squatter = await world.gh.auth.sessions.create(local, {});
    assertFailure(await login(world, new OAuthAgent(), 'corp', 'linker'), 'account_conflict', 409);
    assert.deepEqual(await world.gh.store.identities.listForUser(local.id), [], 'no link made');
    const agent = new OAuthAgent();
    const linked = await login(world, agent, 'linking', 'linker');
    assert.equal(linked.status, 303, linked.body);
    await agent.get(`${world.base}/private/me`);
    assert.equal(lastUpstreamHeaders(world)['x-auth-user-id'], local.id, 'logged in as the existing account');
    assert.deepEqual((await world.gh.store.identities.listForUser(local.id)).map((l) => `${l.provider}:${l.subject}`), ['linking:linker']);
    assert.equal((await world.gh.store.users.get(local.id))!.passwordHash, null, 'the pre-existing password no longer opens the account');
    assert.notEqual((await world.gh.store.sessions.get(squatter.sessionId))!.revokedAt, null, 'sessions from before the link are ended');
    // Later logins find the user by (provider, subject), even when the provider reports another email.
    world.idp.accounts.set('linker', { ...world.idp.accounts.get('linker')!, email: 'renamed@example.com' });
    try {
      const again = new OAuthAgent();
      assert.equal((await login(world, again, 'linking', 'linker')).status, 303);
      await again.get(`${world.base}/private/me`);
      assert.equal(lastUpstreamHeaders(world)['x-auth-user-id'], local.id);
    } finally {
      world.idp.accounts.set('linker', { ...world.idp.accounts.get('linker')!, email: 'local-user@example.com' });
    }
  });

  test('a disabled account cannot sign in through a provider', async () => {
    const agent = new OAuthAgent();
    assert.equal((await login(world, agent, 'corp', 'carol')).status, 303);
    const carol = (await world.gh.store.users.getByEmail('carol@example.com'))!;
    await world.gh.auth.accounts.disable(carol.id, { actor: null });
    assertFailure(await login(world, new OAuthAgent(), 'corp', 'carol'), 'disabled', 403);
    await world.gh.store.users.update(carol.id, { disabled: false });
  });

  // ---- GitHub (the stand-in) ---------------------------------------------------------------------------------

  test('GitHub: verified primary email logs in; subject is the numeric id', async () => {
    world.github.nextUser = { id: 4242, login: 'octo', name: 'Octo Cat', emails: [
      { email: 'octo-secondary@example.com', primary: false, verified: true },
      { email: 'octo@example.com', primary: true, verified: true },
    ] };
    const agent = new OAuthAgent();
    const start = await agent.get(`${world.base}/.gatehouse/oauth/gh/start?rd=/private/gh`);
    assert.equal(start.location?.origin, new URL(world.github.baseUrl).origin);
    assert.equal(start.location?.searchParams.get('code_challenge_method'), 'S256');
    const callback = (await agent.get(start.location!)).location!;
    const done = await agent.get(callback);
    assert.equal(done.status, 303, done.body);
    await agent.get(`${world.base}/private/gh`);
    assert.equal(lastUpstreamHeaders(world)['x-auth-email'], 'octo@example.com');
    const link = await world.gh.store.identities.find('gh', '4242');
    assert.ok(link);
    assert.deepEqual(world.github.unexpected, []);
  });

  test('GitHub: an unverified primary email, a denial, a code from another session', async () => {
    const run = async (agent = new OAuthAgent(), edit?: (u: URL) => void) => {
      const start = await agent.get(`${world.base}/.gatehouse/oauth/gh/start?rd=/`);
      const callback = (await agent.get(start.location!)).location!;
      edit?.(callback);
      return agent.get(callback);
    };
    world.github.nextUser = { id: 7, login: 'sneaky', name: null, emails: [
      { email: 'sneaky@example.com', primary: true, verified: false },
      { email: 'other@example.com', primary: false, verified: true },
    ] };
    assertFailure(await run(), 'email_unverified', 403);
    world.github.nextUser = 'deny';
    assertFailure(await run(), 'access_denied', 403);
    world.github.nextUser = { id: 8, login: 'octo8', name: null, emails: [{ email: 'octo8@example.com', primary: true, verified: true }] };
    const attacker = new OAuthAgent();
    const attackerStart = await attacker.get(`${world.base}/.gatehouse/oauth/gh/start?rd=/`);
    const stolenCode = (await attacker.get(attackerStart.location!)).location!.searchParams.get('code')!;
    assertFailure(await run(new OAuthAgent(), (u) => u.searchParams.set('code', stolenCode)), 'code_rejected');
    await auditedFailure(world, 'email_unverified', 'gh');
    assert.deepEqual(world.github.unexpected, []);
  });
  // Last in the suite on purpose: it moves Date.now forward a minute (the library's JWKS cooldown), and the audit
  // writer schedules its flushes by wall clock, so audit assertions after it would wait that minute out.
  test('JWKS: a kid the provider rotated in is fetched, at most once a minute per provider', async () => {
    assert.equal((await login(world, new OAuthAgent(), 'corp', 'carol')).status, 303, 'JWKS cached');
    const rotated = await generateIdpKey('idp-key-2');
    const jwksFetches = () => world.idp.requests.filter((r) => r.path === '/jwks').length;
    const before = jwksFetches();
    world.idp.misbehave = {
      jwks: (body) => ({ keys: [...body.keys, rotated.publicJwk] }),
      token: async (body) => ({ ...body, id_token: await world.idp.resignIdToken(body['id_token'] as string, () => undefined, rotated) }),
    };
    const realNow = Date.now.bind(Date);
    try {
      // Within a minute of the last fetch an unknown kid is refused without asking again: a flood of forged kids
      // cannot turn Gatehouse into a JWKS hammer.
      assertFailure(await login(world, new OAuthAgent(), 'corp', 'carol'), 'invalid_id_token');
      assert.equal(jwksFetches(), before);
      mock.method(Date, 'now', () => realNow() + 61_000);
      assert.equal((await login(world, new OAuthAgent(), 'corp', 'carol')).status, 303, 'rotated key accepted after a refetch');
      assert.equal(jwksFetches(), before + 1);
    } finally {
      mock.restoreAll();
      world.idp.misbehave = {};
    }
  });

});

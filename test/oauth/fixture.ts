// The world the OAuth end-to-end tests run in: a real OpenID provider (two of them, for "several providers at
// once"), the GitHub stand-in, an upstream that records identity headers, and a whole Gatehouse on a real database.
import assert from 'node:assert/strict';
import type { TestDatabase } from '../helpers/drivers.js';
import type { FullGatehouse } from '../helpers/full-gatehouse.js';
import { eventually, startUpstream, type TestUpstream } from '../helpers/core-net.js';
import { startTestIdp, type IdpAccount, type TestIdp } from '../helpers/oidc-provider.js';
import { startGitHubStandIn, type GitHubStandIn } from '../helpers/oidc-github.js';
import { pickPort, redirectUri, startOAuthGatehouse } from '../helpers/oidc-gatehouse.js';
import { authorizeAtProvider, OAuthAgent, type AgentAnswer } from '../helpers/oidc-agent.js';

export const ROUTES = [
  { name: 'admin', match: { path: '/admin/' }, policy: { roles: ['admin'] }, upstream: 'app' },
  { name: 'private', match: { path: '/private/' }, policy: 'authenticated', upstream: 'app' },
  { name: 'public', match: { path: '/' }, policy: 'public', upstream: 'app' },
];

export const ACCOUNTS: Record<string, IdpAccount> = {
  alice: { email: 'alice@example.com', email_verified: true, name: 'Alice Admin', groups: ['admins', 'staff'] },
  carol: { email: 'Carol@EXAMPLE.com', email_verified: true, name: 'Carol' },
  eve: { email: 'eve@evil.test', email_verified: true },
  lookalike1: { email: 'eve@example.com.evil.test', email_verified: true },
  lookalike2: { email: 'eve@evilexample.com', email_verified: true },
  twoats: { email: 'mallory@evil.test@example.com', email_verified: true },
  quoted: { email: '"mallory@evil.test"@example.com', email_verified: true },
  unverified: { email: 'unverified@example.com', email_verified: false },
  stringverified: { email: 'stringy@example.com', email_verified: 'true' as unknown as boolean },
  noemail: { name: 'No Email' },
  linker: { email: 'local-user@example.com', email_verified: true, groups: ['staff'] },
  nostaff: { email: 'nostaff@example.com', email_verified: true, groups: ['contractors'] },
};

export interface OAuthWorld {
  readonly db: TestDatabase;
  readonly upstream: TestUpstream;
  readonly idp: TestIdp;
  readonly idp2: TestIdp;
  readonly github: GitHubStandIn;
  readonly gh: FullGatehouse;
  readonly base: string;
  close(): Promise<void>;
}

/** Starts everything; Gatehouse's providers: corp + linking (idp), partner (idp2), gh (GitHub stand-in). */
export async function startWorld(db: TestDatabase): Promise<OAuthWorld> {
  const port = await pickPort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const upstream = await startUpstream('app');
  const idp = await startTestIdp({
    accounts: ACCOUNTS,
    clients: [
      { client_id: 'corp-client', client_secret: 'corp-secret-0123456789', redirect_uris: [redirectUri(publicUrl, 'corp')] },
      { client_id: 'linking-client', client_secret: 'linking-secret-0123456789', redirect_uris: [redirectUri(publicUrl, 'linking')] },
    ],
  });
  const idp2 = await startTestIdp({
    accounts: { bob: { email: 'bob@partner.test', email_verified: true, name: 'Bob Partner' } },
    clients: [{ client_id: 'partner-client', client_secret: 'partner-secret-0123456789', redirect_uris: [redirectUri(publicUrl, 'partner')] }],
  });
  const github = await startGitHubStandIn('gh-client', 'gh-secret-0123456789');
  const gh = await startOAuthGatehouse(db, port, { app: upstream.url }, ROUTES, {
    auth: {
      default_provider: 'corp',
      providers: [
        {
          id: 'corp', type: 'oidc', label: 'Corp SSO', issuer: idp.issuer, client_id: 'corp-client', client_secret: '${CORP_SECRET}',
          scopes: ['openid', 'email', 'profile', 'groups'], allowed_email_domains: ['example.com'], role_mapping: { groups: { admins: ['admin'], auditors: ['auditor'] } }, timeout: '1500ms',
        },
        {
          id: 'linking', type: 'oidc', issuer: idp.issuer, client_id: 'linking-client', client_secret: 'linking-secret-0123456789',
          scopes: ['openid', 'email', 'groups'], link_by_verified_email: true, required_claims: { groups: ['staff'] },
        },
        { id: 'partner', type: 'oidc', issuer: idp2.issuer, client_id: 'partner-client', client_secret: 'partner-secret-0123456789' },
        { id: 'gh', type: 'github', base_url: github.baseUrl, api_url: github.apiUrl, client_id: 'gh-client', client_secret: 'gh-secret-0123456789' },
      ],
    },
  }, { CORP_SECRET: 'corp-secret-0123456789' });
  return {
    db, upstream, idp, idp2, github, gh, base: gh.base,
    async close() {
      await gh.stop();
      await Promise.all([idp.close(), idp2.close(), github.close(), upstream.close()]);
    },
  };
}

/** Goes from Gatehouse's start endpoint through the provider's login page to the callback URL (not yet delivered). */
export function authorize(world: OAuthWorld, agent: OAuthAgent, provider: string, login: string, rd = '/private/page', options: { abort?: boolean } = {}): Promise<URL> {
  return authorizeAtProvider(agent, `${world.base}/.gatehouse/oauth/${provider}/start?rd=${encodeURIComponent(rd)}`, login, options);
}

/** A whole login: start, provider, callback. Returns the callback's answer. */
export async function login(world: OAuthWorld, agent: OAuthAgent, provider: string, loginName: string, rd = '/private/page'): Promise<AgentAnswer> {
  return agent.get(await authorize(world, agent, provider, loginName, rd));
}

/** Asserts a callback failed with `reason` (JSON when asked for JSON, a page otherwise). */
export function assertFailure(answer: AgentAnswer, reason: string, status?: number): void {
  assert.notEqual(answer.status, 303, `expected a failure (${reason}), got a login: ${answer.body}`);
  if (status !== undefined) assert.equal(answer.status, status, answer.body);
  assert.ok(answer.status >= 400 && answer.status < 600 && answer.status !== 500, `status ${answer.status}`);
  assert.doesNotMatch(answer.body, /at .*\.js:\d+|Error:/, 'no stack trace');
  assert.equal(answer.headers['referrer-policy'], 'no-referrer');
  if (String(answer.headers['content-type']).includes('json')) assert.equal(JSON.parse(answer.body).reason, reason, answer.body);
  else assert.match(answer.body, new RegExp(`\\(${reason}\\)`), answer.body);
  assert.doesNotMatch(String(answer.headers['set-cookie'] ?? ''), /gh_session=[^;]/, 'no session cookie on a failure');
}

/** Waits until the audit trail holds a failed oauth login with `reason`. */
export async function auditedFailure(world: OAuthWorld, reason: string, provider?: string): Promise<void> {
  await eventually(3000, `audit user.login failure ${reason}`, async () => {
    const page = await world.gh.store.audit.list({ action: 'user.login', limit: 200 });
    return page.items.some((e) => {
      const d = e.data as Record<string, unknown>;
      return d['result'] === 'failure' && d['reason'] === reason && d['method'] === 'oauth' && (provider === undefined || d['provider'] === provider);
    });
  });
}

// A whole Gatehouse with mail going to a real SMTP server on loopback, open registration, plain-http cookies and
// an echoing upstream: the world the account-flow tests (verification, reset, second factors) run in.
import assert from 'node:assert/strict';
import { HOTP, Secret } from 'otpauth';
import { send, startUpstream, type TestUpstream } from '../helpers/core-net.js';
import { merge, startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.js';
import type { TestDatabase } from '../helpers/drivers.js';

export const PASSWORD = 'a long enough passphrase';

export interface AccountsWorld {
  gh: FullGatehouse;
  smtp: SmtpCapture;
  upstream: TestUpstream;
  stop(): Promise<void>;
}

/** Routes of the account tests: /private/ needs a session, /verified/ a confirmed email, /mfa/ a second factor. */
export const ACCOUNT_ROUTES = [
  { name: 'verified', match: { path: '/verified/' }, policy: { verified_email: true }, upstream: 'app' },
  { name: 'mfa', match: { path: '/mfa/' }, policy: { mfa: true }, upstream: 'app' },
  { name: 'admin-mfa', match: { path: '/admin/' }, policy: { roles: ['admin'], mfa: true }, upstream: 'app' },
  { name: 'private', match: { path: '/private/' }, policy: 'authenticated', upstream: 'app' },
  { name: 'public', match: { path: '/' }, policy: 'public', upstream: 'app' },
];

/** Starts the world; `overrides` are merged into the config. */
export async function startAccountsWorld(db: TestDatabase, overrides: Record<string, unknown> = {}, routes: unknown[] = ACCOUNT_ROUTES): Promise<AccountsWorld> {
  const smtp = await startSmtpCapture();
  const upstream = await startUpstream('app');
  const gh = await startFullGatehouse(db, { app: upstream.url }, routes, merge({
    auth: { local: { registration: 'open' } },
    sessions: { cookie: { secure: false, name: 'gh_session' } },
    mail: { smtp: { url: smtp.url, from: 'Gatehouse <no-reply@example.test>', require_tls: false, timeout: '5s' }, outbox: { poll_interval: '50ms', backoff_base: '50ms', backoff_cap: '200ms' } },
    accounts: { encryption_key: 'an accounts key for the tests, long enough' },
    pages: { product_name: 'Acme Portal' },
  }, overrides));
  return { gh, smtp, upstream, stop: async () => { await gh.stop(); await upstream.close(); await smtp.close(); } };
}

/** Registers through POST /.gatehouse/register (JSON), signs in, and returns the user's id and bearer token. */
export async function register(gh: FullGatehouse, email: string, password = PASSWORD): Promise<{ id: string; token: string }> {
  const reg = await send(gh.port, {
    method: 'POST', path: '/.gatehouse/register', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, name: 'Test Person' }),
  });
  assert.equal(reg.status, 202, reg.body);
  const res = await send(gh.port, {
    method: 'POST', path: '/.gatehouse/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }),
  });
  assert.equal(res.status, 200, res.body);
  const json = JSON.parse(res.body) as { user: { id: string }; token: string };
  return { id: json.user.id, token: json.token };
}

/** Signs in with JSON and returns the status and token (if any). */
export async function jsonLogin(gh: FullGatehouse, email: string, password: string): Promise<{ status: number; token?: string; body: string }> {
  const res = await send(gh.port, {
    method: 'POST', path: '/.gatehouse/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }),
  });
  const token = res.status === 200 ? (JSON.parse(res.body) as { token: string }).token : undefined;
  return { status: res.status, body: res.body, ...(token ? { token } : {}) };
}

/** What the upstream saw for a GET with a bearer token, or the refusal status. */
export async function asUser(world: AccountsWorld, token: string, path = '/private/x'): Promise<{ status: number; headers?: Record<string, unknown> }> {
  const before = world.upstream.requests.length;
  const res = await send(world.gh.port, { path, headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) return { status: res.status };
  return { status: 200, headers: world.upstream.requests[before]?.headers as Record<string, unknown> };
}

/** A unique address for one test. */
export function address(label: string): string {
  return `${label}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`;
}

/** The current TOTP code of a base32 secret (what the person's app shows), or the code `offset` steps away. */
export function totpCode(secret: string, offset = 0): string {
  return HOTP.generate({ secret: Secret.fromBase32(secret.replace(/\s/g, '')), algorithm: 'SHA1', digits: 6, counter: Math.floor(Date.now() / 30_000) + offset });
}

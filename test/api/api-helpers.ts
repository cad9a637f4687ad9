// Shared pieces of the SSO API tests: a whole Gatehouse with the API on a real database, users signed up through
// the real endpoints (bearer tokens), JSON requests, and a webhook receiver on loopback that verifies signatures.
import { Webhook } from 'standardwebhooks';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { send, startUpstream, type TestUpstream } from '../helpers/core-net.js';
import { merge, startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import type { TestDatabase } from '../helpers/drivers.js';

export const API = '/.gatehouse/api/v1';
export const PASSWORD = 'a long enough passphrase';

/** Config every API test starts from: open registration, plain-http cookies, fast webhook retries, loopback targets allowed. */
export const API_CONFIG = {
  auth: { local: { registration: 'open' } },
  sessions: { cookie: { secure: false, name: 'gh_session' } },
  webhooks: {
    allow_private_targets: true, poll_interval: '50ms', backoff_base: '50ms', backoff_cap: '200ms', max_attempts: 4,
    disable_after: 2, timeout: '1s', lease: '5s',
  },
};

/** Routes of the org life-cycle tests: /acme/ needs an approved membership of acme, /acme-admin/ an owner or admin. */
export const ORG_ROUTES = [
  { name: 'acme-admin', match: { path: '/acme-admin/' }, policy: { orgs: ['acme'], org_roles: ['owner', 'admin'] }, upstream: 'app' },
  { name: 'acme', match: { path: '/acme/' }, policy: { orgs: ['acme'] }, upstream: 'app' },
  { name: 'private', match: { path: '/private/' }, policy: 'authenticated', upstream: 'app' },
];

export interface ApiWorld {
  gh: FullGatehouse;
  upstream: TestUpstream;
  stop(): Promise<void>;
}

/** A Gatehouse with the API in front of one echoing upstream. */
export async function startApiWorld(db: TestDatabase, overrides: Record<string, unknown> = {}): Promise<ApiWorld> {
  const upstream = await startUpstream('app');
  const gh = await startFullGatehouse(db, { app: upstream.url }, ORG_ROUTES, merge(API_CONFIG, overrides));
  return { gh, upstream, stop: async () => { await gh.stop(); await upstream.close(); } };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** One API request with a bearer token (or none); `json` becomes the body with Content-Type: application/json. */
export async function api(port: number, token: string | undefined, method: string, path: string,
  options: { json?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let body: string | Buffer | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  } else if (options.raw !== undefined) {
    body = options.raw;
    headers['content-type'] ??= 'application/json';
  } else if (method !== 'GET' && method !== 'HEAD' && method !== 'DELETE') {
    headers['content-type'] ??= 'application/json';
  }
  const res = await send(port, { method, path: path.startsWith('/.gatehouse') ? path : `${API}${path}`, headers, ...(body === undefined ? {} : { body }) });
  let json: unknown;
  try { json = res.body === '' ? undefined : JSON.parse(res.body); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text: res.body, json };
}

export interface TestUser {
  id: string;
  email: string;
  token: string;
}

/** Signs a new user up through POST /.gatehouse/register, signs in, and returns their bearer token. */
export async function signUp(gh: FullGatehouse, label = 'user'): Promise<TestUser> {
  const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
  const reg = await api(gh.port, undefined, 'POST', '/.gatehouse/register', { json: { email, password: PASSWORD, name: label } });
  assert.equal(reg.status, 202, reg.text);
  const res = await api(gh.port, undefined, 'POST', '/.gatehouse/login', { json: { email, password: PASSWORD } });
  assert.equal(res.status, 200, res.text);
  return { id: res.json.user.id, email, token: res.json.token };
}

/** Logs an existing user in again: a second, independent session. */
export async function logIn(gh: FullGatehouse, email: string): Promise<string> {
  const res = await api(gh.port, undefined, 'POST', '/.gatehouse/login', { json: { email, password: PASSWORD } });
  assert.equal(res.status, 200, res.text);
  return res.json.token as string;
}

/** A user granted platform_owner (through AccountAdmin, as `gatehouse user add --role platform_owner` would). */
export async function platformOwner(gh: FullGatehouse): Promise<TestUser> {
  const u = await signUp(gh, 'po');
  await gh.auth.accounts.setRoles(u.id, ['platform_owner'], { actor: null });
  return u;
}

/** Creates an organization through the API as `owner`, then has `po` approve it; returns its id. */
export async function approvedOrg(gh: FullGatehouse, owner: TestUser, po: TestUser, slug = `org-${randomUUID().slice(0, 8)}`): Promise<string> {
  const created = await api(gh.port, owner.token, 'POST', '/orgs', { json: { slug, name: slug } });
  assert.equal(created.status, 201, created.text);
  const approved = await api(gh.port, po.token, 'POST', `/orgs/${created.json.id}/approve`);
  assert.equal(approved.status, 200, approved.text);
  return created.json.id as string;
}

/** What the receiver saw for one request. */
export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  json: { id: string; event: string; org: { id: string; slug: string }; data: Record<string, unknown> };
  signatureValid: boolean;
  at: number;
}

/**
 * A webhook receiver on 127.0.0.1:0 that verifies X-Gatehouse-Signature the way docs/api.md tells receivers to
 * (HMAC-SHA256 over "<timestamp>.<body>", constant-time compare, timestamp within 5 minutes). `plan` answers
 * requests in order (status codes; the last one repeats); `secret` is set once the webhook exists.
 */
export class Receiver {
  readonly received: Received[] = [];
  secret = '';
  plan: (number | 'hang' | { redirect: string })[] = [200];
  /** Milliseconds to wait before answering (to make concurrency visible). */
  delayMs = 0;
  #server: Server;
  port = 0;

  constructor() {
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const n = this.received.length;
      this.received.push({ headers: req.headers, body, json: safeJson(body), signatureValid: verify(this.secret, req.headers, body), at: Date.now() });
      const step = this.plan[Math.min(n, this.plan.length - 1)]!;
      if (this.delayMs > 0 && step !== 'hang') {
        setTimeout(() => this.#answer(res, step), this.delayMs);
        return;
      }
      this.#answer(res, step);
    });
  }

  #answer(res: ServerResponse, step: number | 'hang' | { redirect: string }): void {
    if (step === 'hang') return; // never answers: the deliverer's timeout must end it
    if (typeof step === 'object') {
      res.writeHead(302, { location: step.redirect, 'content-length': 0 });
      res.end();
      return;
    }
    const reply = step >= 200 && step < 300 ? 'ok' : `failure ${step} ${'x'.repeat(5000)}`;
    res.writeHead(step, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(reply) });
    res.end(reply);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function safeJson(text: string): Received['json'] {
  try { return JSON.parse(text) as Received['json']; } catch { return { id: '', event: '', org: { id: '', slug: '' }, data: {} }; }
}

/**
 * Verifies a delivery as a receiver does, with the Standard Webhooks library (`standardwebhooks`, the reference
 * implementation): webhook-id, webhook-timestamp (within 5 minutes) and the v1 signature. The previous header
 * (X-Gatehouse-Signature, kept for one release) is checked too: both must hold.
 */
export function verify(secret: string, headers: IncomingMessage['headers'], body: string, toleranceSeconds = 300): boolean {
  try {
    new Webhook(secret).verify(body, {
      'webhook-id': String(headers['webhook-id'] ?? ''),
      'webhook-timestamp': String(headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(headers['webhook-signature'] ?? ''),
    });
  } catch {
    return false;
  }
  return verifyLegacy(secret, headers, body, toleranceSeconds);
}

/** The deprecated X-Gatehouse-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>. */
export function verifyLegacy(secret: string, headers: IncomingMessage['headers'], body: string, toleranceSeconds = 300): boolean {
  const timestamp = String(headers['x-gatehouse-timestamp'] ?? '');
  const signature = String(headers['x-gatehouse-signature'] ?? '');
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
  return signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
}

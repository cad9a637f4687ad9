// What every forward-auth test with a real ingress shares: a recording upstream app, a whole Gatehouse (SQLite)
// trusting only 127.0.0.1, its routes for one protected host, and three users (plain, admin, member of org "acme").
import { test } from 'node:test';
import { connect } from 'node:net';
import { startUpstream, sample, scrape, type TestUpstream, type Recorded } from '../helpers/core-net.js';
import { startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { sqliteDatabase } from '../store/databases.js';
import { approvedOrg, platformOwner, signUp, type TestUser } from '../api/api-helpers.js';
import { caddyBinary, nginxBinary } from '../helpers/ingress-proxies.js';

export const APP_HOST = 'app.gatehouse.test';
export const AUTH_HOST = 'auth.gatehouse.test';

/** The route table for the protected host. */
export function protectedRoutes(host: string): unknown[] {
  return [
    { name: 'public', match: { host, path: '/public/' }, policy: 'public', upstream: 'app' },
    { name: 'admin', match: { host, path: '/admin/' }, policy: { roles: ['admin'] }, upstream: 'app' },
    { name: 'acme', match: { host, path: '/acme/' }, policy: { orgs: ['acme'] }, upstream: 'app' },
    { name: 'app', match: { host, path: '/' }, policy: 'authenticated', upstream: 'app' },
  ];
}

export interface World {
  readonly upstream: TestUpstream;
  readonly gh: FullGatehouse;
  readonly user: TestUser;
  readonly admin: TestUser;
  readonly member: TestUser;
}

/** Starts the upstream and Gatehouse (overrides on top of forward-auth's settings) and signs the users up. */
export async function startWorld(overrides: Record<string, unknown>): Promise<World> {
  const upstream = await startUpstream('app');
  const gh = await startFullGatehouse(sqliteDatabase(), { app: upstream.url }, protectedRoutes(APP_HOST), {
    server: { trusted_proxies: ['127.0.0.1'] },
    auth: { local: { registration: 'open' } },
    ...overrides,
  });
  const user = await signUp(gh, 'user');
  const admin = await signUp(gh, 'admin');
  await gh.auth.accounts.setRoles(admin.id, ['admin'], { actor: null });
  const member = await signUp(gh, 'member');
  await approvedOrg(gh, member, await platformOwner(gh), 'acme');
  return { upstream, gh, user, admin, member };
}

/** The identity headers (any case, "-" or "_" spelling) a recorded upstream request carried. */
export function identitySeen(recorded: Recorded): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < recorded.rawHeaders.length; i += 2) {
    const name = recorded.rawHeaders[i]!;
    if (/^x[-_]auth[-_]/i.test(name)) out[name] = recorded.rawHeaders[i + 1]!;
  }
  return out;
}

/** Spoofed identity headers a client tries to smuggle to the app: every spelling proxies and frameworks fold together. */
export const SPOOFED: Record<string, string> = {
  'X-Auth-User-Id': 'spoofed-user', 'x-auth-roles': 'admin', 'X-AUTH-EMAIL': 'ceo@example.com', 'X_Auth_Orgs': 'acme:owner',
  'x_auth_user_id': 'spoofed-underscore', 'X-Auth-Email-Verified': 'true', 'X-Auth-Amr': 'mfa',
};

/**
 * Store reads a session check can make (sessions.get, users.get, memberships.listApprovedForUser: session-service.ts
 * and org-loader.ts), from gatehouse_store_operation_duration_seconds. Background actors (last-seen writes, the
 * sweeper, change feed polls, audit flushes, pings) run on their own clocks and are left out.
 */
export async function storeCalls(adminPort: number): Promise<number> {
  const text = await scrape(adminPort);
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^gatehouse_store_operation_duration_seconds_count\{([^}]*)\} (\S+)/.exec(line);
    if (m && /operation="(sessions\.get|users\.get|memberships\.listApprovedForUser)"/.test(m[1]!)) total += Number(m[2]);
  }
  return total;
}

/** Session cache hits so far. */
export async function cacheHits(adminPort: number): Promise<number> {
  return sample(await scrape(adminPort), 'gatehouse_session_cache_hits_total') ?? 0;
}

/**
 * One raw request to `port` from a chosen loopback source address (127.0.0.2 is on loopback but outside
 * trusted_proxies: 127.0.0.1), read until the server closes.
 */
export function fromAddress(localAddress: string, port: number, raw: string): Promise<{ status: number; body: string; raw: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), body: text.slice(text.indexOf('\r\n\r\n') + 4), raw: text });
    });
    socket.write(raw);
  });
}

/** `describe`-level guard: outside CI a missing nginx or caddy skips loudly; under CI=true it fails. */
export function ingressAvailable(which: 'nginx' | 'caddy'): boolean {
  const present = which === 'nginx' ? nginxBinary() !== undefined : caddyBinary() !== undefined;
  if (present) return true;
  if (process.env.CI === 'true') {
    test(`${which} is installed (required under CI; .ci/install-system-packages.sh)`, () => { throw new Error(`${which} is not installed`); });
  } else {
    console.warn(`SKIPPED: forward-auth tests with ${which}: not installed (apt-get install -y ${which}); under CI=true this fails`);
  }
  return false;
}

/** What every system under test looks like to the scenarios: a started process group with an origin to load. */
import { pathToFileURL } from 'node:url';
import { request } from 'undici';
import { startChild, waitForLine, type Child } from '../lib/processes.js';

/** The one password every bench account has (hashed once per run, at OWASP's Argon2id parameters). */
export const BENCH_PASSWORD = 'correct horse battery staple';

export interface BenchUser {
  email: string;
  password: string;
}

export type StoreChoice = 'sqlite' | 'postgres' | 'mysql';

export interface SystemContext {
  upstreamUrl: string;
  tmpDir: string;
  /** Accounts every authenticating system is seeded with (one shared Argon2id hash: same cost per verify). */
  users: BenchUser[];
  passwordHash: string;
  store: StoreChoice;
}

/** How to log in by HTTP, for the load generator's login streams. */
export interface LoginRequest {
  path: string;
  body(user: BenchUser): string;
}

export interface RunningSystem {
  readonly name: string;
  readonly label: string;
  readonly origin: string;
  /** Does it check sessions? The baselines forward whatever they get. */
  readonly authenticates: boolean;
  /** Processes whose CPU is this system's. */
  pids(): number[];
  /** Logs one user in; the headers that carry the session afterwards ({} for systems without sessions). */
  login(user: BenchUser): Promise<Record<string, string>>;
  readonly loginRequest?: LoginRequest;
  /** Event-loop delay p99 (ms) since the previous call, when the system can tell. */
  loopDelayP99Ms?(): Promise<number>;
  readonly metricsUrl?: string;
  stop(): Promise<void>;
}

export interface SystemDefinition {
  readonly name: string;
  readonly label: string;
  /** A reason it cannot run here, or undefined. */
  unavailable?(): string | undefined;
  start(ctx: SystemContext): Promise<RunningSystem>;
}

/** True when `moduleUrl` is the file node was started with (a system file run as its own process). */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === moduleUrl;
}

/** Starts one of our own Node server files, which prints `{"listening":PORT}` when ready. */
export async function startNodeServer(name: string, file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: Child; origin: string }> {
  const child = startChild(name, process.execPath, [file, ...args], { env: { ...process.env, ...env } });
  const m = await waitForLine(child, /\{"listening":(\d+)\}/, 15_000);
  return { child, origin: `http://127.0.0.1:${m[1]}` };
}

/**
 * POSTs a JSON login and returns the session cookie it set (name=value). A 429 (hash pool full) is retried after a
 * short pause, at most 50 times; anything else but 2xx fails.
 */
export async function cookieLogin(origin: string, path: string, body: string): Promise<Record<string, string>> {
  for (let attempt = 0; ; attempt++) {
    const res = await request(`${origin}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body, headersTimeout: 10_000, bodyTimeout: 10_000,
    });
    const text = await res.body.text();
    if (res.statusCode === 429 && attempt < 50) {
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 40));
      continue;
    }
    if (res.statusCode >= 300) throw new Error(`login at ${origin}${path} answered ${res.statusCode}: ${text.slice(0, 200)}`);
    const raw = res.headers['set-cookie'];
    const first = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map((c) => c.split(';')[0]!);
    if (first.length === 0) throw new Error(`login at ${origin}${path} set no cookie`);
    return { cookie: first.join('; ') };
  }
}

/** Serves the server half of a system file: prints the listening line once `server` listens on 127.0.0.1:0. */
export function announce(server: import('node:http').Server): void {
  server.keepAliveTimeout = 65_000;
  // Gatehouse's own accept queue (server.listen_backlog, 4096), so 2,000 clients connecting at once are not dropped
  // at the baselines' door (Node's default, 511) and retried after a second.
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
    const address = server.address();
    if (typeof address === 'object' && address !== null) console.log(JSON.stringify({ listening: address.port }));
  });
  const stop = (): void => { server.close(); server.closeAllConnections(); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

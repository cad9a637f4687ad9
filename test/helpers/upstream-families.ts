// Upstreams of several HTTP parser families for the differential tests: what an auth proxy decides only matters as
// far as the upstream executes the same request. Each family records every request it *executed* (parsed and
// answered), in the order it arrived, so a test can assert that nothing Gatehouse did not judge was run:
//   node   — node:http (llhttp), in this process
//   python — Python's http.server (Debian python3), a child process; lenient, keeps reading after a declined upgrade
//   go     — Go's net/http, built from test/fixtures/upstreams/echo-upstream.go when `go` is present
//   express — Express 5 (devDependency), in this process: node:http's parser (so not in UPSTREAM_FAMILIES, which
//            lists parser families), but its own router: case-insensitive, a trailing "/" optional, ";" kept
// Outside CI a family whose runtime is missing is skipped with a loud SKIPPED line; under CI=true it fails.
//
// Routing mode (`startFamilyUpstream(family, { routes })`): each record also names the handler the family's own
// router reached for the path ("/x/" a prefix that also matches "/x", "/x" exact, first match wins, else
// "fallback"): Express routes with app.use()/app.all(), Go with a real http.ServeMux (which answers unclean paths
// with a 301 itself: no handler), Python as http.server's file server reads paths (translate_path), node as
// `new URL(req.url, base).pathname` (WHATWG, case-sensitive). Differential tests compare it with what Gatehouse
// judged.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import express, { type Request, type Response } from 'express';
import { eventually, within } from './core-net.js';

export type UpstreamFamily = 'node' | 'python' | 'go' | 'express';
/** The HTTP parser families (Express shares node's). */
export const UPSTREAM_FAMILIES: readonly UpstreamFamily[] = ['node', 'python', 'go'];
/** Families whose routers read paths differently: the parser families plus Express. */
export const ROUTER_FAMILIES: readonly UpstreamFamily[] = ['node', 'python', 'go', 'express'];

/** Options of startFamilyUpstream. */
export interface FamilyOptions {
  /** Routing mode: route patterns ("/x/" prefix, "/x" exact) in order; records then carry `handler`. */
  readonly routes?: readonly string[];
}

/** One request an upstream parsed and answered: the raw target and the headers as that family saw them. */
export interface ExecutedRequest {
  family: UpstreamFamily;
  method: string;
  /** The request target exactly as the family's parser gave it (before any routing of its own). */
  target: string;
  headers: [string, string][];
  bodyLength: number;
  /** Routing mode only: the route of the family's router that ran ("fallback" for none; absent if the router answered itself). */
  handler?: string;
}

export interface FamilyUpstream {
  readonly family: UpstreamFamily;
  readonly port: number;
  readonly url: string;
  /** Every request executed so far, in order. */
  readonly executed: ExecutedRequest[];
  /** The values of one header (case-insensitive) in an executed request. */
  header(request: ExecutedRequest, name: string): string[];
  /** Resolves once at least `count` requests were executed; fails naming the family after `ms`. */
  waitForExecuted(count: number, ms?: number): Promise<ExecutedRequest[]>;
  close(): Promise<void>;
}

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/upstreams/', import.meta.url));

/** Whether a family can run here, and why not. */
export function familyAvailable(family: UpstreamFamily): { ok: true } | { ok: false; why: string } {
  if (family === 'node' || family === 'express') return { ok: true };
  const command = family === 'python' ? 'python3' : 'go';
  const probe = spawnSync(command, [family === 'python' ? '--version' : 'version'], { encoding: 'utf8' });
  return probe.status === 0 ? { ok: true } : { ok: false, why: `${command} is not installed` };
}

/**
 * `describe(title [family])` for each family. Outside CI a missing runtime skips loudly; under CI=true it fails,
 * because .ci/install-system-packages.sh installs python3 and golang-go.
 */
export function describeEachFamily(title: string, suite: (family: UpstreamFamily) => void,
  families: readonly UpstreamFamily[] = UPSTREAM_FAMILIES): void {
  for (const family of families) {
    const available = familyAvailable(family);
    if (!available.ok) {
      if (process.env.CI === 'true') {
        test(`${title} [${family}]: upstream runtime present (required under CI)`, () => { throw new Error(available.why); });
      } else {
        console.warn(`SKIPPED: ${title} [${family}]: ${available.why} (under CI=true this fails)`);
        test.skip(`${title} [${family}] (${available.why})`);
      }
      continue;
    }
    describe(`${title} [${family}]`, () => suite(family));
  }
}

/** Starts an echo upstream of one family on 127.0.0.1:0. */
export async function startFamilyUpstream(family: UpstreamFamily, options: FamilyOptions = {}): Promise<FamilyUpstream> {
  if (family === 'node') return startNode(options.routes);
  if (family === 'express') return startExpress(options.routes ?? []);
  return startChild(family, options.routes);
}

/** The first route a path matches under the routing-mode rules, or "fallback". */
function routeFor(routes: readonly string[], path: string): string {
  for (const route of routes) {
    if (path === route || (route.endsWith('/') && (path === route.slice(0, -1) || path.startsWith(route)))) return route;
  }
  return 'fallback';
}

function headerOf(request: ExecutedRequest, name: string): string[] {
  const lower = name.toLowerCase();
  return request.headers.filter(([k]) => k.toLowerCase() === lower).map(([, v]) => v);
}

function wrap(family: UpstreamFamily, port: number, executed: ExecutedRequest[], close: () => Promise<void>): FamilyUpstream {
  return {
    family, port, url: `http://127.0.0.1:${port}`, executed, header: headerOf, close,
    waitForExecuted: (count, ms = 5000) =>
      eventually(ms, `${family} upstream to execute ${count} request(s) (has ${executed.length})`, () => (executed.length >= count ? executed : undefined)),
  };
}

async function startNode(routes: readonly string[] | undefined): Promise<FamilyUpstream> {
  const executed: ExecutedRequest[] = [];
  const server = createServer((req, res) => {
    let bodyLength = 0;
    req.on('data', (c: Buffer) => { bodyLength += c.length; });
    req.on('end', () => {
      const headers: [string, string][] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
      const record: ExecutedRequest = { family: 'node', method: req.method ?? '', target: req.url ?? '', headers, bodyLength };
      if (routes !== undefined) {
        let path: string;
        try {
          path = new URL(req.url ?? '/', 'http://upstream.test').pathname;
        } catch {
          path = req.url ?? '/';
        }
        record.handler = routeFor(routes, path);
      }
      executed.push(record);
      const body = JSON.stringify(record);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return wrap('node', port, executed, () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
}

/** Builds the Go upstream once per source version, into a cache under the system temp directory. */
function goBinary(): string {
  const source = join(FIXTURES, 'echo-upstream.go');
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'gatehouse-test-go');
  const binary = join(dir, `echo-upstream-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const built = spawnSync('go', ['build', '-o', binary, source], {
    encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, GOCACHE: process.env.GOCACHE ?? join(dir, 'cache'), GOPATH: process.env.GOPATH ?? join(dir, 'gopath'), GOFLAGS: '-mod=mod', GO111MODULE: 'off' },
  });
  if (built.status !== 0) throw new Error(`go build of the Go upstream failed: ${built.stderr || built.error}`);
  return binary;
}

/**
 * Express 5 as an app would use it (defaults: case-insensitive, non-strict routing): app.use() for "/x/" prefixes,
 * app.all() for exact paths, a last app.use() as "fallback". The target recorded is req.originalUrl.
 */
async function startExpress(routes: readonly string[]): Promise<FamilyUpstream> {
  const executed: ExecutedRequest[] = [];
  const app = express();
  const handle = (name: string) => (req: Request, res: Response): void => {
    let bodyLength = 0;
    req.on('data', (c: Buffer) => { bodyLength += c.length; });
    req.on('end', () => {
      const headers: [string, string][] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
      const record: ExecutedRequest = { family: 'express', method: req.method, target: req.originalUrl, headers, bodyLength, handler: name };
      executed.push(record);
      res.status(200).json(record);
    });
  };
  for (const route of routes) {
    if (route.endsWith('/')) app.use(route === '/' ? '/' : route.slice(0, -1), handle(route));
    else app.all(route, handle(route));
  }
  app.use(handle('fallback'));
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return wrap('express', port, executed, () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
}

async function startChild(family: 'python' | 'go', routes: readonly string[] | undefined): Promise<FamilyUpstream> {
  const env = routes === undefined ? process.env : { ...process.env, ECHO_ROUTES: routes.join(',') };
  const child: ChildProcess = family === 'python'
    ? spawn('python3', ['-u', join(FIXTURES, 'echo_upstream.py')], { stdio: ['ignore', 'pipe', 'pipe'], env })
    : spawn(goBinary(), [], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const executed: ExecutedRequest[] = [];
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  const lines = createInterface({ input: child.stdout! });
  const port = await within(30_000, `the ${family} upstream to listen`, new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the ${family} upstream exited (${code}) before listening: ${stderr}`)));
    lines.on('line', (line) => {
      const parsed = JSON.parse(line) as { listening?: number } & Partial<ExecutedRequest> & { headers?: [string, string][] };
      if (parsed.listening !== undefined) {
        resolve(parsed.listening);
        return;
      }
      // Go's net/http moves Host out of the header map (r.Host): put it back, so every family reports the Host it read.
      const headers = parsed.headers ?? [];
      const host = (parsed as { host?: string }).host;
      if (host !== undefined && !headers.some(([k]) => k.toLowerCase() === 'host')) headers.unshift(['Host', host]);
      executed.push({
        family, method: parsed.method ?? '', target: parsed.target ?? '', headers, bodyLength: parsed.bodyLength ?? 0,
        ...(parsed.handler === undefined ? {} : { handler: parsed.handler }),
      });
    });
  }));
  return wrap(family, port, executed, async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await within(5000, `the ${family} upstream to exit`, exited);
  });
}

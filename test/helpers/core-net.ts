// Real-socket helpers for the core's black-box tests: upstream servers on 127.0.0.1:0 that record what they get,
// a Gatehouse built in-process on port 0, an HTTP client that sends paths as given, and raw HTTP over net.Socket
// (for request-targets and malformed requests that no client library would send unchanged).
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { stringify } from 'yaml';
import { parseConfigText, type GatehouseConfig } from '../../src/config/index.js';
import { buildApp, type App } from '../../src/app.js';
import type { Authenticator } from '../../src/pipeline/3-authenticate/authenticate.js';
import { silentLogger } from '../../src/log/logger.js';

/** Every bounded wait in these tests uses this helper, so a hang is a failure with a name, not a stuck run. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every 25 ms until it returns a truthy value or `ms` passes (then fails naming `what`). */
export async function eventually<T>(ms: number, what: string, check: () => T | Promise<T>): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** What an upstream received: enough to assert on paths and headers exactly as they arrived on the wire. */
export interface Recorded {
  method: string;
  url: string;
  rawHeaders: string[];
  headers: IncomingHttpHeaders;
}

export interface TestUpstream {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly server: Server;
  readonly requests: Recorded[];
  close(): Promise<void>;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The default upstream answer: 200 JSON naming the upstream and echoing the path and raw headers it received. */
export function echoHandler(name: string): UpstreamHandler {
  return (req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ upstream: name, url: req.url, rawHeaders: req.rawHeaders });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  };
}

/** Starts an upstream on 127.0.0.1:0 that records every request (and upgrade) before `handler` answers it. */
export async function startUpstream(name: string, handler: UpstreamHandler = echoHandler(name)): Promise<TestUpstream> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: [...req.rawHeaders], headers: { ...req.headers } });
    handler(req, res);
  });
  server.on('upgrade', (req) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: [...req.rawHeaders], headers: { ...req.headers } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    name, port, url: `http://127.0.0.1:${port}`, server, requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Admission by lateness, out of the way: a test process is its own client and upstream, busy on one loop, on a
 * shared machine, so its loop runs late for reasons no request caused. test/server/overload.test.ts (and any test
 * about admission) sets its own targets.
 */
export const RELAXED_ADMISSION = { shed_delay: '30s', shed_delay_low_priority: '30s', upstream_queue_delay: '30s' } as const;

/** A config object as a YAML file would give it, with reloads off unless the test turns them on. */
export function configObject(upstreams: Record<string, string | Record<string, unknown>>, routes: unknown[],
  extra: { server?: Record<string, unknown>; reload?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    server: { listen: '127.0.0.1:0', public_url: 'http://gatehouse.test', drain_delay: '0s', grace_period: '2s', admission: RELAXED_ADMISSION, ...extra.server },
    admin: { listen: '127.0.0.1:0' },
    reload: { watch: false, ...extra.reload },
    upstreams: Object.fromEntries(Object.entries(upstreams).map(([k, v]) => [k, typeof v === 'string' ? { url: v } : v])),
    routes,
  };
}

/** Validates a config object through the real YAML loader (so defaults and freezing are the real ones). */
export function validConfig(object: Record<string, unknown>): GatehouseConfig {
  return parseConfigText(stringify(object), {});
}

export interface RunningGatehouse {
  readonly app: App;
  readonly port: number;
  readonly adminPort: number;
  close(): Promise<void>;
}

/**
 * Builds (through the composition root, without storage: the core alone) and starts a Gatehouse in this process on
 * 127.0.0.1:0 (ingress and admin). `authenticators` stand in for sessions.
 */
export async function startGatehouse(config: GatehouseConfig,
  options: { configPath?: string; env?: NodeJS.ProcessEnv; authenticators?: readonly Authenticator[] } = {}): Promise<RunningGatehouse> {
  const app = await buildApp({
    config, logger: silentLogger(), store: 'none', ...options,
    listen: { ingress: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } },
  });
  const { ingress, admin } = await within(5000, 'gatehouse to start', app.start());
  return { app, port: ingress.port, adminPort: admin.port, close: () => within(5000, 'gatehouse to abort', app.abort()) };
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP/1.1 request on a fresh connection; the path is sent as given (node:http does not normalise it). */
export function send(port: number, options: { method?: string; path?: string; headers?: Record<string, string | string[]>; body?: string | Buffer; timeoutMs?: number } = {}): Promise<Answer> {
  const timeoutMs = options.timeoutMs ?? 5000;
  return within(timeoutMs + 500, `${options.method ?? 'GET'} ${options.path ?? '/'}`, new Promise<Answer>((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path ?? '/', agent: false,
      headers: options.headers ?? {}, timeout: timeoutMs,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(options.body);
  }));
}

export interface RawAnswer {
  /** Everything the server sent, as latin1. */
  raw: string;
  /** Status of the first response, or 0 when the server closed without one. */
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes raw bytes to Gatehouse on a new socket and reads until the server closes it (requests should carry
 * "Connection: close") or `timeoutMs` passes. Nothing is normalised on the way: this is what an attacker sends.
 */
export function rawExchange(port: number, bytes: string | Buffer, timeoutMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`raw exchange timed out after ${timeoutMs} ms; got so far: ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 200))}`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined); // a reset after the answer is fine; the answer is judged below
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseRaw(Buffer.concat(chunks).toString('latin1')));
    });
    socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  });
}

/** Parses the first HTTP response in `raw` (status, lower-cased headers, body with chunked coding removed). */
export function parseRaw(raw: string): RawAnswer {
  const end = raw.indexOf('\r\n\r\n');
  if (!raw.startsWith('HTTP/') || end < 0) return { raw, status: 0, headers: {}, body: '' };
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(end + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    let out = '';
    let rest = body;
    for (;;) {
      const lineEnd = rest.indexOf('\r\n');
      if (lineEnd < 0) break;
      const size = parseInt(rest.slice(0, lineEnd), 16);
      if (!(size > 0)) break;
      out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
      rest = rest.slice(lineEnd + 2 + size + 2);
    }
    body = out;
  } else if (headers['content-length'] !== undefined) {
    body = body.slice(0, Number(headers['content-length']));
  }
  return { raw, status: Number(statusLine!.split(' ')[1]), headers, body };
}

/** A plain GET request as raw text, closing the connection after the answer. */
export function rawGet(target: string, headers: Record<string, string> = {}, method = 'GET'): string {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: gatehouse.test'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  lines.push('Connection: close', '', '');
  return lines.join('\r\n');
}

/** The value of one sample in Prometheus text (labels given as an exact subset), or undefined when absent. */
export function sample(metrics: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of metrics.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/**
 * The sum of every series of `name` whose labels include `labels`: counters now start at 0 for each known label
 * value, so a partial label set matches several series and the first one is not the one that moved.
 */
export function sampleSum(metrics: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of metrics.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(m[3]);
  }
  return total;
}

/** Fetches /metrics from the admin listener. */
export async function scrape(adminPort: number): Promise<string> {
  const answer = await send(adminPort, { path: '/metrics' });
  if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}`);
  return answer.body;
}

/** The header names (lower-cased) an upstream request carried. */
export function headerNames(recorded: Recorded): string[] {
  const out: string[] = [];
  for (let i = 0; i < recorded.rawHeaders.length; i += 2) out.push(recorded.rawHeaders[i]!.toLowerCase());
  return out;
}

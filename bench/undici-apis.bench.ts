// Which way of forwarding with Node is fastest, measured: undici's request() + pipeline(), stream(), dispatch()
// (what src/proxy/forward-http.ts uses), http-proxy, and node:http with a keep-alive agent. Each forwarder runs
// in its own process in front of one upstream process; wrk (Debian) is the load, 64 connections; the forwarders
// take turns for several rounds and the medians are reported with their ratio to request() + pipeline().
//   npm run build && node dist/bench/undici-apis.bench.js [--seconds 5] [--rounds 3]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, Agent, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool, type Dispatcher } from 'undici';
import httpProxy from 'http-proxy';

const MODES = ['request-pipeline', 'stream', 'dispatch', 'http-proxy', 'node-http'] as const;
type Mode = (typeof MODES)[number];
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-connection']);
const strip = (h: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> => {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP.has(k)) out[k] = v;
  return out;
};

/** One forwarder process: listens on 127.0.0.1:0 and prints its port. */
function serveForwarder(mode: Mode, upstream: string): void {
  const pool = new Pool(upstream, { connections: 256 });
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const proxy = httpProxy.createProxyServer({ target: upstream, agent });
  const url = new URL(upstream);
  const handlers: Record<Mode, (req: IncomingMessage, res: ServerResponse) => Promise<void> | void> = {
    'request-pipeline': async (req, res) => {
      const a = await pool.request({ method: req.method as 'GET', path: req.url!, headers: strip(req.headers) });
      res.writeHead(a.statusCode, strip(a.headers));
      await pipeline(a.body, res);
    },
    'stream': async (req, res) => {
      await pool.stream({ method: req.method as 'GET', path: req.url!, headers: strip(req.headers) }, ({ statusCode, headers }) => {
        res.writeHead(statusCode, strip(headers as Record<string, string>));
        return res;
      });
    },
    'dispatch': (req, res) => {
      const handler: Dispatcher.DispatchHandler = {
        // undici takes a handler with onRequestStart as one of the new-style (controller) API.
        onRequestStart: () => undefined,
        onResponseStart: (_c, status, headers) => { res.writeHead(status, strip(headers as Record<string, string>)); },
        onResponseData: (c, chunk) => { if (!res.write(chunk)) { c.pause(); res.once('drain', () => c.resume()); } },
        onResponseEnd: () => { res.end(); },
        onResponseError: () => { if (!res.headersSent) res.writeHead(502); res.end(); },
      };
      pool.dispatch({ origin: url.origin, method: req.method as 'GET', path: req.url!, headers: strip(req.headers) }, handler);
    },
    'http-proxy': (req, res) => { proxy.web(req, res); },
    'node-http': (req, res) => {
      const out = httpRequest({ host: url.hostname, port: url.port, method: req.method, path: req.url, headers: strip(req.headers), agent }, (r) => {
        res.writeHead(r.statusCode ?? 502, strip(r.headers));
        r.pipe(res);
      });
      out.on('error', () => { res.writeHead(502); res.end(); });
      out.end();
    },
  };
  const server = createServer((req, res) => { void handlers[mode](req, res); });
  server.listen(0, '127.0.0.1', () => console.log(`port ${(server.address() as AddressInfo).port}`));
}

function serveUpstream(): void {
  const body = 'hello from the upstream';
  const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }); res.end(body); });
  server.listen(0, '127.0.0.1', () => console.log(`port ${(server.address() as AddressInfo).port}`));
}

function child(args: string[]): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    proc.stdout!.once('data', (d: Buffer) => {
      const m = /port (\d+)/.exec(d.toString());
      if (m) resolve({ proc, port: Number(m[1]) });
      else reject(new Error(`unexpected output ${d.toString()}`));
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    role: { type: 'string' }, mode: { type: 'string' }, upstream: { type: 'string' },
    seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' },
  } });
  if (values.role === 'upstream') return serveUpstream();
  if (values.role === 'forwarder') return serveForwarder(values.mode as Mode, values.upstream!);
  if (spawnSync('wrk', ['--version']).error) {
    console.log('wrk is not installed (apt-get install wrk); nothing measured');
    return;
  }
  const upstream = await child(['--role', 'upstream']);
  const results = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
  try {
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const mode of round % 2 === 0 ? MODES : [...MODES].reverse()) {
        const fwd = await child(['--role', 'forwarder', '--mode', mode, '--upstream', `http://127.0.0.1:${upstream.port}`]);
        const out = spawnSync('wrk', ['-t1', '-c64', `-d${values.seconds}s`, `http://127.0.0.1:${fwd.port}/`], { encoding: 'utf8' });
        fwd.proc.kill();
        const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out.stdout)?.[1] ?? NaN);
        results.get(mode)!.push(rps);
        console.log(`round ${round + 1} ${mode}: ${Math.round(rps)} req/s`);
      }
    }
  } finally {
    upstream.proc.kill();
  }
  const base = median(results.get('request-pipeline')!);
  console.log(`\ncommand: node dist/bench/undici-apis.bench.js --seconds ${values.seconds} --rounds ${values.rounds} (wrk -t1 -c64)`);
  console.log('| forwarder | median req/s | vs request() + pipeline() |\n| --- | ---: | ---: |');
  for (const mode of MODES) {
    const m = median(results.get(mode)!);
    console.log(`| ${mode} | ${Math.round(m)} | ${(m / base).toFixed(2)}x |`);
  }
}

await main();

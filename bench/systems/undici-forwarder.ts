// System 3: the bare forwarder, the smallest undici-based Node proxy with no auth: the cost of being a Node proxy
// at all. undici's Pool.stream() writes the answer straight into the response: the smallest fast form (see
// bench/undici-apis.bench.ts; Gatehouse itself drives Pool.dispatch(), which measures about the same).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { announce, isMain, startNodeServer, type RunningSystem, type SystemDefinition } from './system.js';

const FILE = fileURLToPath(import.meta.url);
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

export const undiciForwarder: SystemDefinition = {
  name: 'undici-forwarder', label: 'bare undici forwarder (no auth)',
  async start(ctx): Promise<RunningSystem> {
    const { child, origin } = await startNodeServer('undici-forwarder', FILE, ['--upstream', ctx.upstreamUrl]);
    return {
      name: this.name, label: this.label, origin, authenticates: false,
      pids: () => [child.pid], login: async () => ({}), stop: () => child.stop(),
    };
  },
};

function strip(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.includes(k)) out[k] = v;
  return out;
}

if (isMain(import.meta.url)) {
  const upstream = process.argv[process.argv.indexOf('--upstream') + 1]!;
  const pool = new Pool(upstream, { connections: 256 });
  announce(createServer(async (req, res) => {
    try {
      const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
      await pool.stream({ method: req.method as 'GET', path: req.url ?? '/', headers: strip(req.headers), body: hasBody ? req : null },
        ({ statusCode, headers }) => {
          res.writeHead(statusCode, strip(headers as Record<string, string | string[] | undefined>));
          return res;
        });
    } catch {
      if (!res.headersSent) res.writeHead(502).end(); else res.destroy();
    }
  }));
}

// Beside the undici forwarder: the same bare forwarder built on http-proxy (what http-proxy-middleware uses), with a
// keep-alive agent, so the report can say by measurement which forwarding library a Node proxy should stand on.
import { Agent, createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import httpProxy from 'http-proxy';
import { announce, isMain, startNodeServer, type RunningSystem, type SystemDefinition } from './system.js';

const FILE = fileURLToPath(import.meta.url);

export const httpProxyForwarder: SystemDefinition = {
  name: 'http-proxy-forwarder', label: 'bare http-proxy forwarder (no auth)',
  async start(ctx): Promise<RunningSystem> {
    const { child, origin } = await startNodeServer('http-proxy-forwarder', FILE, ['--upstream', ctx.upstreamUrl]);
    return {
      name: this.name, label: this.label, origin, authenticates: false,
      pids: () => [child.pid], login: async () => ({}), stop: () => child.stop(),
    };
  },
};

if (isMain(import.meta.url)) {
  const upstream = process.argv[process.argv.indexOf('--upstream') + 1]!;
  // Without an agent http-proxy sends "Connection: close" and opens a TCP connection per request.
  const proxy = httpProxy.createProxyServer({ target: upstream, agent: new Agent({ keepAlive: true, maxSockets: 256 }), xfwd: true });
  proxy.on('error', (_err, _req, res) => {
    if ('writeHead' in res && !res.headersSent) res.writeHead(502).end(); else res.destroy();
  });
  announce(createServer((req, res) => proxy.web(req, res)));
}

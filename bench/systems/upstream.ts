// System 1, the ceiling: the small upstream app every proxy forwards to, loaded directly. Its own process.
// Answers every request with a short JSON body (about 100 bytes), as a typical API read would.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { announce, isMain, startNodeServer, type RunningSystem, type SystemDefinition } from './system.js';

const FILE = fileURLToPath(import.meta.url);

/** Starts the upstream process; shared by every system in a run. */
export async function startUpstream(): Promise<{ origin: string; pid: number; stop(): Promise<void> }> {
  const { child, origin } = await startNodeServer('upstream', FILE, []);
  return { origin, pid: child.pid, stop: () => child.stop() };
}

/** The upstream loaded without anything in front: it reuses the shared upstream process. */
export const upstreamAlone = (upstream: { origin: string; pid: number }): SystemDefinition => ({
  name: 'upstream', label: 'upstream alone (ceiling)',
  async start(): Promise<RunningSystem> {
    return {
      name: 'upstream', label: 'upstream alone (ceiling)', origin: upstream.origin, authenticates: false,
      pids: () => [upstream.pid], login: async () => ({}), stop: async () => {},
    };
  },
});

if (isMain(import.meta.url)) {
  const body = (path: string): string => JSON.stringify({ ok: true, path, note: 'hello from the upstream app', n: 42 });
  announce(createServer((req, res) => {
    const payload = body(req.url ?? '/');
    // Drain any request body before answering, so keep-alive connections stay usable.
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    });
  }));
}

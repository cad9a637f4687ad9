import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { escapeHtml, page } from '../http/respond.js';

/**
 * A tiny upstream app for the demo and for newcomers: every page shows the request headers it received, so you can
 * see what Gatehouse forwards (and that spoofed identity headers never arrive).
 */
export function createDemoApp(): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const isPrivate = url.startsWith('/private');
    const rows = Object.entries(req.headers)
      .map(([name, value]) => `<tr><td><code>${escapeHtml(name)}</code></td><td><code>${escapeHtml(String(value))}</code></td></tr>`)
      .join('');
    const body = `<h1>${isPrivate ? 'A protected page' : 'A public page'}</h1>` +
      `<p>This is the demo app behind Gatehouse. You asked for <code>${escapeHtml(url)}</code>.</p>` +
      `<p><a href="/">public page</a> · <a href="/private/">protected page</a> · <a href="/.gatehouse/logout?rd=/">sign out</a></p>` +
      `<h2>Headers the app received</h2><table>${rows}</table>`;
    const html = page('Gatehouse demo app', body);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
    res.end(html);
  });
}

/** Starts the demo app on host:port and resolves with its address. */
export async function startDemoApp(host: string, port: number): Promise<{ server: Server; address: AddressInfo }> {
  const server = createDemoApp();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return { server, address: server.address() as AddressInfo };
}

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Upstream } from './upstream-pool.js';
import { classifyUpstreamError, type UpstreamFailure } from './upstream-error.js';

/**
 * Passes a WebSocket (or any HTTP/1.1 Upgrade) handshake to the upstream and, once it answers 101, splices the
 * two sockets together. A non-101 answer is relayed as a plain response. Resolves with a failure reason when the
 * upstream could not be reached, so the caller can answer 502/504 on the raw socket.
 */
export function forwardUpgrade(
  req: IncomingMessage, clientSocket: Duplex, head: Buffer, upstream: Upstream, pathAndQuery: string, headers: string[],
): Promise<{ ok: true } | { ok: false; reason: UpstreamFailure; error: unknown }> {
  return new Promise((resolve) => {
    const url = new URL(upstream.origin);
    const upgrade = req.headers.upgrade ?? 'websocket';
    const outgoing = (url.protocol === 'https:' ? httpsRequest : httpRequest)({
      host: url.hostname,
      port: url.port || (url.protocol === 'https:' ? 443 : 80),
      method: req.method,
      path: upstream.basePath + pathAndQuery,
      headers: [...headers, 'Connection', 'Upgrade', 'Upgrade', upgrade] as unknown as Record<string, string>,
      agent: false,
      timeout: upstream.config.connect_timeout,
    });
    let settled = false;
    const settle = (value: { ok: true } | { ok: false; reason: UpstreamFailure; error: unknown }): void => {
      if (!settled) {
        settled = true;
        resolve(value);
      }
    };
    outgoing.on('timeout', () => outgoing.destroy(Object.assign(new Error('upgrade timed out'), { code: 'ETIMEDOUT' })));
    outgoing.on('error', (error) => {
      // Before settling, the caller still answers 502/504 on the client socket; only afterwards is it torn down.
      if (!settled) settle({ ok: false, reason: classifyUpstreamError(error), error });
      else clientSocket.destroy();
    });
    clientSocket.on('error', () => outgoing.destroy());
    outgoing.on('response', (res) => {
      // The upstream declined the upgrade: relay its answer as an ordinary response, then close.
      let text = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n`;
      for (let i = 0; i < res.rawHeaders.length; i += 2) text += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
      clientSocket.write(`${text}\r\n`);
      res.pipe(clientSocket);
      settle({ ok: true });
    });
    outgoing.on('upgrade', (res, upstreamSocket, upstreamHead) => {
      outgoing.setTimeout(0);
      let text = 'HTTP/1.1 101 Switching Protocols\r\n';
      for (let i = 0; i < res.rawHeaders.length; i += 2) text += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
      clientSocket.write(`${text}\r\n`);
      if (upstreamHead.length > 0) clientSocket.write(upstreamHead);
      upstreamSocket.on('error', () => clientSocket.destroy());
      clientSocket.on('close', () => upstreamSocket.destroy());
      upstreamSocket.on('close', () => clientSocket.destroy());
      upstreamSocket.pipe(clientSocket);
      clientSocket.pipe(upstreamSocket);
      settle({ ok: true });
    });
    if (head.length > 0) outgoing.write(head);
    outgoing.end();
  });
}

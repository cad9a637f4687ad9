import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Upstream } from './upstream-pool.js';
import { classifyUpstreamError, type UpstreamFailure } from './upstream-error.js';
import { relayDeclinedUpgrade } from './declined-upgrade.js';
import { splice, TUNNEL_HALF_CLOSE_TIMEOUT_MS } from './tunnel.js';

/** One judged Upgrade request, as it goes upstream. */
export interface UpgradeForward {
  readonly method: string;
  readonly pathAndQuery: string;
  /** The headers the mutate stage built (client headers cleaned, identity stated), without Connection and Upgrade. */
  readonly headers: readonly string[];
  /** The protocols offered upstream, each one the route allows (`websocket` unless a route allows others). */
  readonly protocols: readonly string[];
}

/** How one upgrade went. `tunnel` resolves when a switched connection has closed on both sides. */
export type UpgradeOutcome =
  | { readonly ok: true; readonly switched: true; readonly tunnel: Promise<void> }
  | { readonly ok: true; readonly switched: false; readonly status: number }
  | { readonly ok: false; readonly reason: UpstreamFailure; readonly error: unknown }
  | { readonly ok: false; readonly reason: 'client_gone' };

/**
 * Passes one judged Upgrade handshake to the upstream on a connection of its own, and nothing else: the bytes the
 * client sent after the request's headers (`head`, and whatever the paused client socket holds) reach the upstream
 * only once it has answered 101 to this very request. Before that they are not the new protocol yet: an upstream
 * that declines and keeps reading (Python's http.server, Go's net/http) would execute them as a second request that
 * Gatehouse never judged (issue 12 §1). On 101 for an offered protocol the sockets are spliced (proxy/tunnel.ts); any
 * other answer is relayed framed anew and both connections are closed (proxy/declined-upgrade.ts). The client
 * socket must be paused by the caller before anything awaits. Resolves a failure when nothing was sent to the
 * client yet, so the caller can answer 502/504 on the raw socket.
 */
export function forwardUpgrade(client: Duplex, head: Buffer, upstream: Upstream, request: UpgradeForward,
  halfCloseTimeoutMs = TUNNEL_HALF_CLOSE_TIMEOUT_MS): Promise<UpgradeOutcome> {
  return new Promise((resolve) => {
    const url = new URL(upstream.origin);
    const outgoing = (url.protocol === 'https:' ? httpsRequest : httpRequest)({
      host: url.hostname,
      port: url.port || (url.protocol === 'https:' ? 443 : 80),
      method: request.method,
      path: upstream.basePath + request.pathAndQuery,
      headers: [...request.headers, 'Connection', 'Upgrade', 'Upgrade', request.protocols.join(', ')] as unknown as Record<string, string>,
      agent: false,
      // The wait for the upstream's answer (connect included), like `timeout` for the response headers of a request.
      timeout: upstream.config.timeout,
    });
    let settled = false;
    const settle = (value: UpgradeOutcome): void => {
      if (settled) return;
      settled = true;
      client.off('close', onClientClose);
      resolve(value);
    };
    const onClientClose = (): void => {
      outgoing.destroy();
      settle({ ok: false, reason: 'client_gone' });
    };
    client.once('close', onClientClose);
    outgoing.on('timeout', () => outgoing.destroy(Object.assign(new Error('the upstream did not answer the upgrade in time'), { code: 'ETIMEDOUT' })));
    outgoing.on('error', (error) => settle({ ok: false, reason: classifyUpstreamError(error), error }));
    outgoing.on('response', (res) => {
      // Declined: relay the answer framed anew, then close both connections (the upstream's is ours alone).
      void relayDeclinedUpgrade(res, client, request.method).then((relayed) => {
        outgoing.destroy();
        settle(relayed.ok ? { ok: true, switched: false, status: res.statusCode ?? 0 } : { ok: false, reason: 'reset', error: relayed.error });
      });
    });
    outgoing.on('upgrade', (res, upstreamSocket, upstreamHead) => {
      outgoing.setTimeout(0);
      upstreamSocket.setTimeout(0);
      // RFC 9110 §7.8: the server switches to one of the protocols offered; anything else is not what was judged.
      const chosen = String(res.headers.upgrade ?? '').trim().toLowerCase();
      if (!request.protocols.some((p) => p.toLowerCase() === chosen)) {
        upstreamSocket.destroy();
        settle({ ok: false, reason: 'error', error: new Error(`the upstream switched to "${chosen}", a protocol that was not offered`) });
        return;
      }
      if (client.destroyed) {
        upstreamSocket.destroy();
        settle({ ok: false, reason: 'client_gone' });
        return;
      }
      let text = 'HTTP/1.1 101 Switching Protocols\r\n';
      for (let i = 0; i < res.rawHeaders.length; i += 2) text += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
      client.write(Buffer.from(`${text}\r\n`, 'latin1'));
      if (upstreamHead.length > 0) client.write(upstreamHead);
      // Only now is what the client sent after its headers the new protocol: `head` first, then the paused rest.
      if (head.length > 0) upstreamSocket.write(head);
      settle({ ok: true, switched: true, tunnel: splice(client, upstreamSocket, halfCloseTimeoutMs) });
    });
    outgoing.end();
  });
}

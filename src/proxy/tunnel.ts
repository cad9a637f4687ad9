import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * After a 101, how long one direction may stay open once the other has ended (a half-close): 10 s by default
 * (`server.tunnel_half_close_timeout`). A WebSocket
 * closes with a close frame each way and then both TCP sides; a peer that ends its side and never hears back (or an
 * upstream that keeps its side open after the client left) must not hold two sockets and an in-flight slot forever.
 */
export const TUNNEL_HALF_CLOSE_TIMEOUT_MS = 10_000;

/**
 * Splices an upgraded client connection and its upstream connection: bytes flow both ways with backpressure
 * (pipe), an end of either side is passed on to the other (a half-close: `end()` propagates), and then, if the
 * other side has not ended too within `halfCloseTimeoutMs`, both are destroyed. A close or error of either side
 * destroys both. Resolves when both sockets are closed.
 */
export function splice(client: Duplex, upstream: Socket, halfCloseTimeoutMs = TUNNEL_HALF_CLOSE_TIMEOUT_MS): Promise<void> {
  // Node's client sockets end their writable side as soon as the peer's FIN arrives (allowHalfOpen: false); the
  // tunnel passes each end on itself, so the upstream side must stay writable after the upstream's FIN.
  upstream.allowHalfOpen = true;
  let timer: NodeJS.Timeout | undefined;
  const destroyBoth = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    client.destroy();
    upstream.destroy();
  };
  const halfClosed = (): void => {
    timer ??= setTimeout(destroyBoth, halfCloseTimeoutMs);
  };
  client.on('error', destroyBoth);
  upstream.on('error', destroyBoth);
  client.once('end', halfClosed);
  upstream.once('end', halfClosed);
  const closed = (socket: Duplex): Promise<void> => new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
  const both = Promise.all([closed(client), closed(upstream)]).then(() => undefined);
  client.once('close', destroyBoth);
  upstream.once('close', destroyBoth);
  upstream.pipe(client);
  client.pipe(upstream);
  return both;
}

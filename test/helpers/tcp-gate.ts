// A TCP relay on 127.0.0.1:0 in front of a server, that a test can turn into the network failures a database
// client meets in production without touching the server itself: connections reset (RST) and a server that stops
// answering (a partition: packets go nowhere, nothing is refused, every read waits).
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** What the gate does with traffic. */
export type GateMode = 'pass' | 'blackhole' | 'reset';

export interface TcpGate {
  readonly port: number;
  /** `pass`: relay both ways. `blackhole`: hold every connection open and relay nothing, accept new ones and never
   * connect them. `reset`: reset every open connection and every new one at once. */
  set(mode: GateMode): void;
  /** Connections relayed or held right now. */
  open(): number;
  close(): Promise<void>;
}

/** Starts a gate relaying to 127.0.0.1:`targetPort`, in `pass` mode. */
export async function startTcpGate(targetPort: number): Promise<TcpGate> {
  let mode: GateMode = 'pass';
  const pairs = new Set<{ client: Socket; server?: Socket }>();
  const reset = (s: Socket | undefined): void => {
    if (s === undefined || s.destroyed) return;
    s.resetAndDestroy();
  };
  const server: Server = createServer((client) => {
    const pair: { client: Socket; server?: Socket } = { client };
    pairs.add(pair);
    client.on('error', () => undefined);
    client.on('close', () => {
      pairs.delete(pair);
      pair.server?.destroy();
    });
    if (mode === 'reset') {
      reset(client);
      return;
    }
    if (mode === 'blackhole') {
      client.pause();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    pair.server = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    set(next) {
      mode = next;
      for (const pair of pairs) {
        if (next === 'reset') {
          reset(pair.client);
          reset(pair.server);
        } else if (next === 'blackhole') {
          // Relay nothing more either way; the sockets stay open, as behind a dead link.
          pair.client.unpipe();
          pair.server?.unpipe();
          pair.client.pause();
          pair.server?.pause();
        } else if (pair.server !== undefined) {
          pair.client.pipe(pair.server);
          pair.server.pipe(pair.client);
          pair.client.resume();
          pair.server.resume();
        }
      }
    },
    open: () => pairs.size,
    close: () => new Promise<void>((resolve) => {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.server?.destroy();
      }
      server.close(() => resolve());
    }),
  };
}

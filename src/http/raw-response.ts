import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { ERROR_CATALOGUE, type GatehouseError } from '../errors/index.js';

/** How long a raw answer waits for the client to close after it was sent, before the socket is destroyed: 5 s. */
export const RAW_LINGER_MS = 5_000;

/**
 * Sends a complete answer on a raw socket and closes it: `end()`, then reads and discards whatever the client still
 * sends (closing with unread bytes would reset the connection, and the client could lose the answer), and destroys
 * the socket if the client has not closed within `RAW_LINGER_MS`. Nothing read here goes anywhere.
 */
export function endRaw(socket: Duplex, bytes: string | Buffer): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(bytes);
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), RAW_LINGER_MS);
  socket.once('close', () => clearTimeout(timer));
}

/**
 * Answers an error on a raw socket (after an Upgrade request, there is no ServerResponse) and closes it. `headers`
 * are Gatehouse's own (Retry-After, WWW-Authenticate), never client text.
 */
export function writeRawError(socket: Duplex, err: GatehouseError, headers: Record<string, string> = {}): number {
  const body = JSON.stringify({ error: ERROR_CATALOGUE[err.code].reason, code: err.code, message: err.publicMessage() });
  let extra = '';
  for (const [name, value] of Object.entries(headers)) extra += `${name}: ${value}\r\n`;
  endRaw(socket, `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\n${extra}` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  return err.status;
}

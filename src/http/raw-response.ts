import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { ERROR_CATALOGUE, type GatehouseError } from '../errors/index.js';

/**
 * Answers an error on a raw socket (after an Upgrade request, there is no ServerResponse) and closes it. `headers`
 * are Gatehouse's own (Retry-After, WWW-Authenticate), never client text.
 */
export function writeRawError(socket: Duplex, err: GatehouseError, headers: Record<string, string> = {}): number {
  if (socket.writable) {
    const body = JSON.stringify({ error: ERROR_CATALOGUE[err.code].reason, code: err.code, message: err.publicMessage() });
    let extra = '';
    for (const [name, value] of Object.entries(headers)) extra += `${name}: ${value}\r\n`;
    socket.end(`HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\n${extra}` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  } else {
    socket.destroy();
  }
  return err.status;
}

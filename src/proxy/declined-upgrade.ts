import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { endRaw } from '../http/raw-response.js';
import { hopByHopNames } from './hop-by-hop.js';

/** The largest body of a declined upgrade held back to be re-framed with Content-Length: 64 KiB (error pages fit). */
export const DECLINED_BODY_BUFFER_BYTES = 64 * 1024;

/**
 * Relays the answer of an upstream that declined an upgrade (anything but 101) to the client, framed anew, then
 * closes the client connection. Node's parser has already removed the upstream's own framing (a chunked body arrives
 * de-chunked), so its Transfer-Encoding and Content-Length are dropped with the hop-by-hop headers, and the body
 * is sent with a fresh Content-Length when it fits in `DECLINED_BODY_BUFFER_BYTES`, else close-delimited
 * (RFC 9112 §6.3, rule 8) after `Connection: close`. Resolves `ok: false` when the upstream's answer broke off
 * before anything was sent (the caller answers 502); after that, a break-off destroys the client connection, the
 * only way to tell a close-delimited body it was cut short.
 */
export function relayDeclinedUpgrade(res: IncomingMessage, client: Duplex, method: string): Promise<{ ok: true } | { ok: false; error: unknown }> {
  const status = res.statusCode ?? 502;
  const drop = hopByHopNames(res.headers.connection);
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    const lower = res.rawHeaders[i]!.toLowerCase();
    if (drop.has(lower) || lower === 'content-length') continue;
    head += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
  }
  head += 'Connection: close\r\n';
  // RFC 9110 §6.4.1: no content in answers to HEAD, nor in 1xx, 204 and 304 answers.
  const bodiless = method === 'HEAD' || status < 200 || status === 204 || status === 304;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let held = 0;
    let streaming = false;
    res.on('error', () => undefined); // a break-off is judged on 'close' (res.complete)
    res.on('data', (chunk: Buffer) => {
      if (!streaming) {
        held += chunk.length;
        chunks.push(chunk);
        if (held <= DECLINED_BODY_BUFFER_BYTES) return;
        streaming = true;
        client.write(Buffer.from(`${head}\r\n`, 'latin1'));
        for (const c of chunks.splice(0)) client.write(c);
        return;
      }
      if (!client.write(chunk)) {
        res.pause();
        client.once('drain', () => res.resume());
      }
    });
    res.once('close', () => {
      if (!res.complete) {
        if (streaming) {
          client.destroy();
          resolve({ ok: true });
        } else {
          resolve({ ok: false, error: Object.assign(new Error('the upstream broke off its answer to an upgrade'), { code: 'ECONNRESET' }) });
        }
        return;
      }
      if (streaming) {
        endRaw(client, Buffer.alloc(0));
      } else {
        const body = bodiless ? Buffer.alloc(0) : Buffer.concat(chunks);
        const framing = bodiless ? '' : `Content-Length: ${body.length}\r\n`;
        endRaw(client, Buffer.concat([Buffer.from(`${head}${framing}\r\n`, 'latin1'), body]));
      }
      resolve({ ok: true });
    });
  });
}

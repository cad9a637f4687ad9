import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_CATALOGUE } from '../../errors/index.js';
import { escapeHtml, page, wantsHtml } from '../../http/respond.js';

/**
 * The 503 a shed request gets, built once per Retry-After value: the bytes of the whole answer (JSON, or a small
 * page for browsers; without a body for HEAD), so shedding costs one socket write and no header serialisation,
 * no JSON encoding, no body read. With `close` the connection is closed after it (`Connection: close`): a
 * keep-alive client must reconnect, through the kernel's accept queue, instead of sending its next request
 * straight into a process that is already late.
 */
class ShedBytes {
  readonly #raw: { json: Buffer; html: Buffer; jsonHead: Buffer; htmlHead: Buffer };
  readonly #kept: { json: { headers: string[]; body: Buffer }; html: { headers: string[]; body: Buffer } };

  constructor(retryAfterSeconds: number) {
    const { reason, message } = ERROR_CATALOGUE.GATE_ERR_OVERLOADED;
    const json = Buffer.from(JSON.stringify({ error: reason, code: 'GATE_ERR_OVERLOADED', message }));
    const html = Buffer.from(page(`503 ${message}`, `<h1>503: ${escapeHtml(message)}</h1><p class="muted">GATE_ERR_OVERLOADED</p>`));
    const head = (type: string, body: Buffer, connection: string): string => 'HTTP/1.1 503 Service Unavailable\r\n' +
      `Retry-After: ${retryAfterSeconds}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n` +
      `Content-Type: ${type}\r\nContent-Length: ${body.length}\r\nConnection: ${connection}\r\n\r\n`;
    const jsonType = 'application/json; charset=utf-8';
    const htmlType = 'text/html; charset=utf-8';
    this.#raw = {
      json: Buffer.concat([Buffer.from(head(jsonType, json, 'close')), json]),
      html: Buffer.concat([Buffer.from(head(htmlType, html, 'close')), html]),
      jsonHead: Buffer.from(head(jsonType, json, 'close')),
      htmlHead: Buffer.from(head(htmlType, html, 'close')),
    };
    const kept = (type: string, body: Buffer) => ({
      headers: ['retry-after', String(retryAfterSeconds), 'cache-control', 'no-store', 'x-content-type-options', 'nosniff',
        'content-type', type, 'content-length', String(body.length)],
      body,
    });
    this.#kept = { json: kept(jsonType, json), html: kept(htmlType, html) };
  }

  /** The whole answer with `Connection: close`, for a raw socket. */
  raw(html: boolean, head: boolean): Buffer {
    return html ? (head ? this.#raw.htmlHead : this.#raw.html) : (head ? this.#raw.jsonHead : this.#raw.json);
  }

  /** Headers and body for a ServerResponse that keeps the connection. */
  kept(html: boolean): { headers: string[]; body: Buffer } {
    return html ? this.#kept.html : this.#kept.json;
  }
}

const built = new Map<number, ShedBytes>();
function bytesFor(retryAfterSeconds: number): ShedBytes {
  let bytes = built.get(retryAfterSeconds);
  if (bytes === undefined) built.set(retryAfterSeconds, bytes = new ShedBytes(retryAfterSeconds));
  return bytes;
}

/**
 * Answers a shed HTTP request with the pre-built 503. Returns whether the connection is being closed. When the
 * response owns its socket (no earlier pipelined answer still pending) and `close` is set, the bytes go straight to
 * the socket and the socket is ended; the body is drained, never parsed, so a client still sending reads the
 * answer rather than a reset. Otherwise the answer goes through the response, with `Connection: close` if asked.
 */
export function answerShed(req: IncomingMessage, res: ServerResponse, retryAfterSeconds: number, close: boolean): boolean {
  const bytes = bytesFor(retryAfterSeconds);
  const html = wantsHtml(req);
  res.statusCode = 503;
  const socket = res.socket;
  if (close && socket !== null && !res.headersSent) {
    req.resume();
    socket.end(bytes.raw(html, req.method === 'HEAD'));
    return true;
  }
  if (res.headersSent) {
    res.destroy();
    return true;
  }
  const { headers, body } = bytes.kept(html);
  if (close) res.shouldKeepAlive = false;
  res.writeHead(503, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
  return close;
}

/** Answers a shed Upgrade handshake on its raw socket, and closes it. */
export function answerShedUpgrade(req: IncomingMessage, socket: Duplex, retryAfterSeconds: number): void {
  if (socket.writable) socket.end(bytesFor(retryAfterSeconds).raw(wantsHtml(req), false));
  else socket.destroy();
}

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
  /** The status line and headers up to the request id; then the request id header; then the end of the head and the body. */
  readonly #raw: { jsonHead: Buffer; htmlHead: Buffer; json: Buffer; html: Buffer; end: Buffer };
  readonly #kept: { json: { headers: string[]; body: Buffer }; html: { headers: string[]; body: Buffer } };

  constructor(retryAfterSeconds: number) {
    const { reason, message } = ERROR_CATALOGUE.GATE_ERR_OVERLOADED;
    const json = Buffer.from(JSON.stringify({ error: reason, code: 'GATE_ERR_OVERLOADED', message }));
    const html = Buffer.from(page(`503 ${message}`, `<h1>503: ${escapeHtml(message)}</h1><p class="muted">GATE_ERR_OVERLOADED</p>`));
    const head = (type: string, body: Buffer): Buffer => Buffer.from('HTTP/1.1 503 Service Unavailable\r\n' +
      `Retry-After: ${retryAfterSeconds}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n` +
      `Content-Type: ${type}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n`);
    const jsonType = 'application/json; charset=utf-8';
    const htmlType = 'text/html; charset=utf-8';
    this.#raw = {
      jsonHead: head(jsonType, json), htmlHead: head(htmlType, html),
      json: Buffer.concat([Buffer.from('\r\n'), json]), html: Buffer.concat([Buffer.from('\r\n'), html]), end: Buffer.from('\r\n'),
    };
    const kept = (type: string, body: Buffer) => ({
      headers: ['retry-after', String(retryAfterSeconds), 'cache-control', 'no-store', 'x-content-type-options', 'nosniff',
        'content-type', type, 'content-length', String(body.length)],
      body,
    });
    this.#kept = { json: kept(jsonType, json), html: kept(htmlType, html) };
  }

  /**
   * Writes the whole answer with `Connection: close` to a raw socket and ends it: three pieces (the pre-built head,
   * the request id, the pre-built rest) corked into one write.
   */
  write(socket: Duplex, html: boolean, withBody: boolean, requestId: string | undefined): void {
    socket.cork();
    socket.write(html ? this.#raw.htmlHead : this.#raw.jsonHead);
    if (requestId !== undefined) socket.write(`X-Request-Id: ${requestId}\r\n`, 'latin1');
    socket.end(withBody ? (html ? this.#raw.html : this.#raw.json) : this.#raw.end);
    socket.uncork();
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
export function answerShed(req: IncomingMessage, res: ServerResponse, retryAfterSeconds: number, close: boolean, requestId?: string): boolean {
  const bytes = bytesFor(retryAfterSeconds);
  const html = wantsHtml(req);
  res.statusCode = 503;
  const socket = res.socket;
  if (close && socket !== null && !res.headersSent) {
    req.resume();
    bytes.write(socket, html, req.method !== 'HEAD', requestId);
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
export function answerShedUpgrade(req: IncomingMessage, socket: Duplex, retryAfterSeconds: number, requestId?: string): void {
  if (socket.writable) bytesFor(retryAfterSeconds).write(socket, wantsHtml(req), true, requestId);
  else socket.destroy();
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERROR_CATALOGUE, type GatehouseError } from '../errors/index.js';

/** Whether the client is a browser that wants a page rather than JSON (Accept names text/html). */
export function wantsHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

/** Escapes text for HTML element and attribute content. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

/** Sends a JSON body with no-store caching. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS, ...headers,
    'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Sends a small self-contained HTML page (no external resources; scripts and frames refused by CSP). */
export function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'x-frame-options': 'DENY',
    // same-origin keeps URLs (which may carry rd) from leaking to other sites while still letting our own forms
    // carry a real Origin header.
    'referrer-policy': 'same-origin',
    ...headers,
    'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html),
  });
  res.end(html);
}

/** Wraps a body in Gatehouse's minimal page layout. */
export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}` +
    `h1{font-size:1.4rem}code{background:#f3f3f3;padding:0 .2rem}form{display:grid;gap:.6rem}input,button{font:inherit;padding:.5rem}` +
    `button{cursor:pointer}.error{color:#a00}.muted{color:#666;font-size:.9rem}</style></head><body>${body}</body></html>`;
}

/**
 * Answers with an error: a small page for browsers, JSON `{"error","code","message"}` for everything else. Only the
 * catalogue's public message is shown unless the error is marked exposable; the stack never leaves the process.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, err: GatehouseError, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { reason } = ERROR_CATALOGUE[err.code];
  const message = err.publicMessage();
  if (wantsHtml(req)) {
    sendHtml(res, err.status, page(`${err.status} ${message}`, `<h1>${err.status}: ${escapeHtml(message)}</h1><p class="muted">${escapeHtml(err.code)}</p>`), headers);
  } else {
    // Errors about one input (validation, conflicts) name it, so a client can point at the field.
    const field = (err as { field?: unknown }).field;
    sendJson(res, err.status, { error: reason, code: err.code, message, ...(typeof field === 'string' ? { field } : {}) }, headers);
  }
}

/**
 * Handlers that answer with writeHead and their own Set-Cookie (startSession) would drop a cookie set earlier with
 * setHeader (a cleared second-factor cookie, a device cookie): this keeps both, merging the two lists at writeHead.
 */
export function mergeSetCookie(res: ServerResponse): ServerResponse {
  const earlier = res.getHeader('set-cookie');
  if (earlier === undefined) return res;
  res.removeHeader('set-cookie');
  const original = res.writeHead.bind(res) as (status: number, headers?: Record<string, unknown>) => ServerResponse;
  (res as unknown as { writeHead: typeof original }).writeHead = (status, headers = {}) => {
    const own = headers['set-cookie'];
    // The handler's own cookies first (the session cookie leads, as it did alone), then the earlier ones.
    const list = [...(own === undefined ? [] : Array.isArray(own) ? own : [String(own)]), ...(Array.isArray(earlier) ? earlier : [String(earlier)])];
    return original(status, { ...headers, 'set-cookie': list });
  };
  return res;
}

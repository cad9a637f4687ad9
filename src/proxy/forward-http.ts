import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Upstream } from './upstream-pool.js';
import { filterResponseHeaders } from './upstream-headers.js';
import { classifyUpstreamError, type UpstreamFailure } from './upstream-error.js';

/** What happened to one forward, for the caller's metrics and error page. */
export type ForwardOutcome =
  | { ok: true }
  | { ok: false; reason: UpstreamFailure; error: unknown; responded: boolean }
  | { ok: false; reason: 'client_gone'; error: unknown; responded: boolean };

/**
 * Forwards one request to an upstream and streams the answer back. Bodies stream both ways (undici reads the
 * request as it arrives; the response is piped), so memory stays flat whatever the size. When the client goes
 * away the upstream request is aborted. Never throws: the caller answers 502/504 when `responded` is false.
 */
export async function forwardHttp(
  req: IncomingMessage, res: ServerResponse, upstream: Upstream, pathAndQuery: string, headers: string[],
): Promise<ForwardOutcome> {
  // undici aborts a request when its `signal` emits 'abort'; it accepts any EventEmitter, so the response itself
  // serves: no AbortController (an EventTarget, measurably costly on the hot path) per request.
  let clientGone = false;
  const onClose = (): void => {
    if (res.writableFinished) return;
    clientGone = true;
    res.emit('abort');
  };
  res.once('close', onClose);
  const hasBody = req.headers['transfer-encoding'] !== undefined ||
    (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
  try {
    const answer = await upstream.pool.request({
      path: upstream.basePath + pathAndQuery,
      method: req.method as 'GET',
      headers,
      body: hasBody ? req : null,
      signal: res,
    });
    res.writeHead(answer.statusCode, filterResponseHeaders(answer.headers));
    await pipeline(answer.body, res);
    return { ok: true };
  } catch (error) {
    if (clientGone) return { ok: false, reason: 'client_gone', error, responded: true };
    const responded = res.headersSent;
    if (responded) res.destroy();
    return { ok: false, reason: classifyUpstreamError(error), error, responded };
  } finally {
    res.off('close', onClose);
  }
}

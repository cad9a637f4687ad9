import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Upstream } from './upstream-pool.js';
import { filterResponseHeaders } from './upstream-headers.js';
import { classifyUpstreamError, type UpstreamFailure } from './upstream-error.js';

/** What happened to one forward, for the caller's metrics and error page. */
export type ForwardOutcome =
  | { ok: true }
  | { ok: false; reason: UpstreamFailure; error: unknown; responded: boolean }
  | { ok: false; reason: 'client_gone'; error: unknown; responded: boolean };

/** The reason a forward is aborted when the client goes away first. */
class ClientGone extends Error {
  constructor() {
    super('the client closed the connection');
  }
}

/**
 * Forwards one request to an upstream and streams the answer back. It drives undici's dispatcher directly: the
 * upstream's body chunks are written straight into `res`, with backpressure (pause when `res` is full, resume on
 * 'drain'), and no intermediate Readable. That is about 1.6-1.8x the throughput of `request()` + `pipeline()` on
 * this kind of machine (bench/undici-apis.bench.ts). The request body streams too (undici reads `req` as it
 * arrives), so memory stays flat whatever the size. When the client goes away the upstream request is aborted.
 * Never throws: the caller answers 502/504 when `responded` is false.
 */
export function forwardHttp(
  req: IncomingMessage, res: ServerResponse, upstream: Upstream, pathAndQuery: string, headers: string[], requestId: string,
): Promise<ForwardOutcome> {
  const hasBody = req.headers['transfer-encoding'] !== undefined ||
    (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
  return new Promise((resolve) => {
    let controller: Dispatcher.DispatchController | undefined;
    let clientGone = false;
    let settled = false;
    // The wait for a pool connection, for admission (admission/upstream-queue.ts): until the request is written.
    const queuedAt = upstream.queue.dispatched();
    let written = false;
    const writing = (): void => {
      if (written) return;
      written = true;
      upstream.queue.started(queuedAt);
    };
    const settle = (outcome: ForwardOutcome): void => {
      writing();
      if (settled) return;
      settled = true;
      res.off('close', onClose);
      resolve(outcome);
    };
    const onClose = (): void => {
      if (res.writableFinished) return;
      clientGone = true;
      controller?.abort(new ClientGone());
    };
    res.once('close', onClose);
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        writing();
        controller = c;
        if (clientGone) c.abort(new ClientGone());
      },
      onResponseStart(_c, statusCode, answerHeaders) {
        // 1xx informational answers (103 Early Hints...) are not relayed; the final answer follows.
        if (statusCode < 200) return;
        // writeHead takes a flat list of names and values (string[] values repeat the name, as Set-Cookie needs).
        res.writeHead(statusCode, filterResponseHeaders(answerHeaders as Record<string, string | string[] | undefined>, requestId) as string[]);
      },
      onResponseData(c, chunk) {
        if (!res.write(chunk)) {
          c.pause();
          res.once('drain', () => c.resume());
        }
      },
      onResponseEnd() {
        res.end();
        settle({ ok: true });
      },
      onResponseError(_c, error) {
        if (clientGone || error instanceof ClientGone) {
          settle({ ok: false, reason: 'client_gone', error, responded: true });
          return;
        }
        const responded = res.headersSent;
        if (responded) res.destroy();
        settle({ ok: false, reason: classifyUpstreamError(error), error, responded });
      },
    };
    try {
      upstream.pool.dispatch({
        origin: upstream.origin,
        path: upstream.basePath + pathAndQuery,
        method: req.method as Dispatcher.HttpMethod,
        headers,
        body: hasBody ? req : null,
      }, handler);
    } catch (error) {
      // dispatch() validates its options synchronously (e.g. a header value undici refuses).
      settle({ ok: false, reason: 'error', error, responded: false });
    }
  });
}

import { SpanStatusCode } from '@opentelemetry/api';
import type { RequestObserver } from './context.js';

/**
 * Ends each request's server span with what the stages learnt (route, status, outcome, client, user id, request
 * id), named `METHOD route` (bounded, as the route label of the metrics). Installed only when tracing is on.
 */
export function requestTracing(): RequestObserver {
  return (ctx) => {
    const span = ctx.span;
    if (span === undefined) return;
    span.setAttributes({
      'http.route': ctx.route, 'http.response.status_code': ctx.status, 'gatehouse.request_id': ctx.id, 'gatehouse.outcome': ctx.outcome,
      ...(ctx.clientIp !== undefined ? { 'client.address': ctx.clientIp } : {}),
      ...(ctx.reason !== undefined ? { 'gatehouse.reason': ctx.reason } : {}),
      ...(ctx.userId !== undefined ? { 'enduser.id': ctx.userId } : {}),
      ...(ctx.upstreamMs >= 0 ? { 'gatehouse.upstream_ms': ctx.upstreamMs } : {}),
    });
    span.updateName(`${ctx.method} ${ctx.route}`);
    // OpenTelemetry HTTP server conventions: 5xx is an error of the server, 4xx is the client's.
    if (ctx.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { GatehouseError, isGatehouseError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { Admission } from '../pipeline/1-admit/admit.js';
import { refusalError, type Decision } from '../pipeline/4-authorize/decide.js';
import type { Forward } from '../pipeline/6-forward/forward.js';
import { RequestContext, type RequestFacts, type RequestIds, type RequestObserver } from '../pipeline/context.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { RuntimeTable } from '../pipeline/runtime-table.js';
import type { EndpointRouter } from '../http/endpoint-router.js';
import { endpointQuery } from '../http/input-guard.js';
import { sendError, wantsHtml } from '../http/respond.js';
import { answerShed } from '../pipeline/1-admit/shed-answer.js';
import { plainIp } from '../proxy/client-address.js';
import { propagateTrace, type Tracing } from '../tracing/tracing.js';
import { authzPath } from './forward-auth-dialects.js';
import { createForwardAuthTransport } from './forward-auth-transport.js';

/** What the HTTP transport needs; the Upgrade transport shares the admission, the pipeline and the observers. */
export interface TransportDeps {
  table(): RuntimeTable;
  readonly admission: Admission;
  readonly pipeline: Pipeline;
  readonly forward: Forward;
  readonly observers: readonly RequestObserver[];
  readonly ids: RequestIds;
  readonly logger: Logger;
  /** Told when a shed answer closes its connection (for `gatehouse_connections_closed_total{reason="shed"}`). */
  readonly onShedClose?: () => void;
  /** Spans for requests when on (TRACING_OFF otherwise: one property read per request). */
  readonly tracing: Tracing;
}

/**
 * The HTTP transport: a thin shell over the stages. admit -> (judge -> authenticate -> authorize -> mutate) ->
 * forward, or Gatehouse's own endpoint for /.gatehouse/ paths, or the forward-auth answer for /.gatehouse/authz
 * (server/forward-auth-transport.ts, the same stages about a request an ingress describes). Every failure becomes a
 * 4xx/5xx with a JSON or HTML body; nothing a client sends can throw out of here. Observers read the request's
 * context when its answer has closed and the stages are done.
 */
export function createHttpTransport(deps: TransportDeps & { readonly endpoints: EndpointRouter }) {
  const { admission, pipeline, forward, observers, ids, logger, endpoints } = deps;
  const forwardAuth = createForwardAuthTransport({ pipeline });

  function observe(ctx: RequestContext): void {
    for (let i = 0; i < observers.length; i++) observers[i]!(ctx);
  }

  function answerFailure(req: IncomingMessage, res: ServerResponse, err: unknown, ctx: RequestContext): void {
    if (isGatehouseError(err)) {
      if (err.status >= 500) logger.error({ code: err.code, detail: err.detail, err: err.cause }, err.message);
      const headers: Record<string, string> = err.retryAfterSeconds !== undefined ? { 'retry-after': String(err.retryAfterSeconds) } : {};
      sendError(req, res, err, headers);
      return;
    }
    ctx.outcome = 'error';
    logger.error({ err }, 'unexpected error while handling a request');
    sendError(req, res, new GatehouseError('GATE_ERR_INTERNAL'));
  }

  /** Answers a refusal: a browser that may sign in is sent to the login page, everyone else gets the error. */
  function refuse(req: IncomingMessage, res: ServerResponse, decision: Exclude<Decision, { kind: 'allow' }>): void {
    if (decision.kind === 'unauthenticated') {
      if (wantsHtml(req) && (req.method === 'GET' || req.method === 'HEAD')) {
        res.writeHead(302, { location: decision.signIn.location, 'cache-control': 'no-store', 'content-length': 0 });
        res.end();
      } else {
        sendError(req, res, refusalError(decision), { 'www-authenticate': decision.signIn.challenge });
      }
      return;
    }
    sendError(req, res, refusalError(decision));
  }

  /** The pre-built 503 of a shed request (closing the connection when server.admission.close_connection says so). */
  function shedAnswer(req: IncomingMessage, res: ServerResponse, table: RuntimeTable, ctx: RequestContext): void {
    const { retry_after: retryAfter, close_connection: close } = table.config.server.admission;
    if (answerShed(req, res, retryAfter / 1000, close, ctx.id)) deps.onShedClose?.();
  }

  const { tracing } = deps;
  return function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const table = deps.table();
    const ctx = requestContext(req, ids, table);
    if (!tracing.enabled) return handle(req, res, table, ctx);
    return traced(tracing, req, table, ctx, () => handle(req, res, table, ctx));
  };

  async function handle(req: IncomingMessage, res: ServerResponse, table: RuntimeTable, ctx: RequestContext): Promise<void> {
    const socket = req.socket;
    const facts: RequestFacts = {
      method: req.method ?? 'GET', target: req.url ?? '', host: req.headers.host, peer: req.socket.remoteAddress,
      encrypted: isEncrypted(req), headers: req.headers, rawHeaders: req.rawHeaders, upgrade: false,
    };
    const shed = admission.enter(table, () => (authzPath(facts.target) !== undefined ? pipeline.classifySubrequest(facts) : pipeline.classify(facts, table)));
    // Observers run once both the answer has closed and this handler has returned: the answer can close before the
    // forward stage records its outcome and upstream time.
    let open = 2;
    const ended = (): void => {
      if (--open === 0) observe(ctx);
    };
    res.once('close', () => {
      admission.leave();
      ctx.status = res.statusCode;
      countBytes(ctx, socket);
      ended();
    });
    try {
      if (shed !== undefined) {
        ctx.outcome = 'shed';
        ctx.reason = shed.reason;
        shedAnswer(req, res, table, ctx);
        return;
      }
      // Forward-auth (an ingress asking about another request) is recognised on the raw target, before the judge:
      // that request is judged once, as itself, by the forward-auth transport (Envoy's target carries its path).
      const authz = authzPath(req.url ?? '');
      // Every answer carries the request id; a forwarded one gets it in the same list as the upstream's headers
      // (filterResponseHeaders), every other one here.
      if (authz !== undefined) {
        res.setHeader('X-Request-Id', ctx.id);
        if (authz === 'unknown') throw new GatehouseError('GATE_ERR_NOT_FOUND');
        await forwardAuth(req, res, authz, table, ctx);
        return;
      }
      // Awaited only when a stage had I/O to do: a signed-in user's request goes on in this same turn.
      const evaluated = pipeline.evaluate(facts, table, ctx);
      const evaluation = evaluated instanceof Promise ? await evaluated : evaluated;
      if (evaluation.kind !== 'decided' || evaluation.decision.kind !== 'allow') res.setHeader('X-Request-Id', ctx.id);
      switch (evaluation.kind) {
        case 'refused':
          throw evaluation.error;
        case 'reserved': {
          ctx.outcome = 'endpoint';
          const handler = endpoints.find(facts.method, evaluation.path);
          if (handler === undefined) throw new GatehouseError('GATE_ERR_NOT_FOUND');
          if (handler === 'method') throw new GatehouseError('GATE_ERR_METHOD_NOT_ALLOWED');
          await handler(req, res, { path: evaluation.path, query: endpointQuery(evaluation.query), clientIp: evaluation.client.ip });
          return;
        }
        case 'decided': {
          if (evaluation.decision.kind !== 'allow') {
            refuse(req, res, evaluation.decision);
            return;
          }
          const headers = pipeline.stages.mutate.upstreamHeaders(req.rawHeaders, req.headers.connection, table, evaluation.client, evaluation.headers, ctx.id);
          if (ctx.span !== undefined) propagateTrace(headers, ctx.span, ctx.peerTrusted);
          const failure = await forward.http(req, res, evaluation, headers, table, ctx);
          if (failure?.code === 'GATE_ERR_OVERLOADED') shedAnswer(req, res, table, ctx);
          else if (failure !== undefined) {
            res.setHeader('X-Request-Id', ctx.id);
            sendError(req, res, failure);
          }
        }
      }
    } catch (err) {
      if (!res.headersSent) res.setHeader('X-Request-Id', ctx.id);
      answerFailure(req, res, err, ctx);
    } finally {
      ended();
    }
  }
}

/**
 * Runs a request's handling inside its server span (continuing a trusted proxy's traceparent), the span recorded on
 * the context for the tracing observer to end and for the forward to propagate.
 */
export function traced(tracing: Tracing, req: IncomingMessage, table: RuntimeTable, ctx: RequestContext, handle: () => Promise<void>): Promise<void> {
  ctx.peerTrusted = table.trustedProxies.has(plainIp(ctx.peer));
  const q = ctx.target.indexOf('?');
  return tracing.request(ctx.method, {
    'http.request.method': ctx.method, 'url.path': q === -1 ? ctx.target : ctx.target.slice(0, q), 'server.address': ctx.host ?? '',
    ...(ctx.userAgent !== undefined ? { 'user_agent.original': ctx.userAgent } : {}),
  }, req.headers.traceparent, ctx.peerTrusted, (span) => {
    ctx.span = span;
    ctx.traceId = span.spanContext().traceId;
    return handle();
  });
}

/**
 * The record of a request that just arrived: what the access log and traces read about it, and its request id (the
 * X-Request-Id a trusted proxy sent, when well-formed, or a generated one).
 */
export function requestContext(req: IncomingMessage, ids: RequestIds, table: RuntimeTable): RequestContext {
  const ctx = new RequestContext(ids, req.method);
  ctx.target = req.url ?? '';
  ctx.host = req.headers.host;
  ctx.userAgent = req.headers['user-agent'];
  ctx.peer = req.socket.remoteAddress;
  const incoming = req.headers['x-request-id'];
  if (incoming !== undefined) ctx.adoptRequestId(incoming, table.trustedProxies.has(plainIp(ctx.peer)));
  return ctx;
}

const READ_MARK = Symbol('gatehouse.bytesRead');
const WRITTEN_MARK = Symbol('gatehouse.bytesWritten');
type MarkedSocket = Socket & { [READ_MARK]?: number; [WRITTEN_MARK]?: number };

/**
 * Sets the bytes read and written on the client's connection since the previous request on it ended (so headers
 * count, and keep-alive requests each count their own). Two numbers on the socket, no allocation.
 */
export function countBytes(ctx: RequestContext, socket: Socket): void {
  const marked = socket as MarkedSocket;
  const read = socket.bytesRead;
  const written = socket.bytesWritten;
  ctx.bytesIn = read - (marked[READ_MARK] ?? 0);
  ctx.bytesOut = written - (marked[WRITTEN_MARK] ?? 0);
  marked[READ_MARK] = read;
  marked[WRITTEN_MARK] = written;
}

/** Whether the request came over TLS (Gatehouse's own listener, when it terminates TLS). */
export function isEncrypted(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true;
}

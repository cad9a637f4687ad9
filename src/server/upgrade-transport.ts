import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GatehouseError } from '../errors/index.js';
import { refusalError } from '../pipeline/4-authorize/decide.js';
import type { RequestContext, RequestFacts } from '../pipeline/context.js';
import type { RuntimeTable } from '../pipeline/runtime-table.js';
import { propagateTrace } from '../tracing/tracing.js';
import { countBytes, isEncrypted, requestContext, traced, type TransportDeps } from './http-transport.js';
import { writeRawError } from '../http/raw-response.js';
import { answerShedUpgrade } from '../pipeline/1-admit/shed-answer.js';

/**
 * The Upgrade (WebSocket) transport: the same admission and stages as HTTP requests, answered on the raw socket.
 * The client socket is paused before anything else: what the client sent after the request's headers (`head`, and
 * what the socket buffers) goes nowhere until the upstream has answered 101 to this very request (DESIGN.md,
 * "Judged = executed"; proxy/forward-websocket.ts). An upgrade counts as one request in flight for as long as its
 * client socket is open (a tunnel holds two sockets and a slot of the process like any request does), so
 * `server.max_in_flight` bounds tunnels too.
 */
export function createUpgradeTransport(deps: TransportDeps) {
  const { admission, pipeline, forward, observers, ids, logger, tracing } = deps;

  return function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.pause();
    socket.on('error', () => socket.destroy());
    const table = deps.table();
    const ctx = requestContext(req, ids, table);
    if (!tracing.enabled) return handle(req, socket, head, table, ctx);
    return traced(tracing, req, table, ctx, () => handle(req, socket, head, table, ctx));
  };

  async function handle(req: IncomingMessage, socket: Duplex, head: Buffer, table: RuntimeTable, ctx: RequestContext): Promise<void> {
    const connection = req.socket;
    ctx.status = 101;
    const own = { 'X-Request-Id': ctx.id };
    const facts: RequestFacts = {
      method: req.method ?? 'GET', target: req.url ?? '', host: req.headers.host, peer: req.socket.remoteAddress,
      encrypted: isEncrypted(req), headers: req.headers, rawHeaders: req.rawHeaders, upgrade: true,
    };
    const shed = admission.enter(table, () => pipeline.classify(facts, table));
    socket.once('close', () => admission.leave());
    try {
      if (shed !== undefined) {
        ctx.outcome = 'shed';
        ctx.reason = shed.reason;
        ctx.status = 503;
        answerShedUpgrade(req, socket, table.config.server.admission.retry_after / 1000, ctx.id);
        deps.onShedClose?.();
        return;
      }
      const evaluation = await pipeline.evaluate(facts, table, ctx);
      if (evaluation.kind === 'refused') {
        ctx.status = writeRawError(socket, evaluation.error, own);
      } else if (evaluation.kind === 'reserved') {
        ctx.outcome = 'refused';
        ctx.status = writeRawError(socket, new GatehouseError('GATE_ERR_NOT_FOUND'), own);
      } else if (evaluation.decision.kind === 'unauthenticated') {
        ctx.status = writeRawError(socket, refusalError(evaluation.decision), { ...own, 'WWW-Authenticate': evaluation.decision.signIn.challenge });
      } else if (evaluation.decision.kind === 'deny') {
        ctx.status = writeRawError(socket, refusalError(evaluation.decision), own);
      } else if (socket.destroyed) {
        ctx.outcome = 'client_gone';
      } else {
        const headers = pipeline.stages.mutate.upstreamHeaders(req.rawHeaders, req.headers.connection, table, evaluation.client, evaluation.headers, ctx.id);
        if (ctx.span !== undefined) propagateTrace(headers, ctx.span, ctx.peerTrusted);
        const failure = await forward.upgrade(socket, head, evaluation, { method: facts.method, headers, protocols: evaluation.upgrade }, table, ctx);
        if (failure !== undefined) ctx.status = writeRawError(socket, failure, own);
      }
    } catch (err) {
      ctx.outcome = 'error';
      logger.error({ err }, 'unexpected error during an upgrade');
      ctx.status = writeRawError(socket, new GatehouseError('GATE_ERR_INTERNAL'), own);
    } finally {
      countBytes(ctx, connection);
      for (let i = 0; i < observers.length; i++) observers[i]!(ctx);
    }
  }
}

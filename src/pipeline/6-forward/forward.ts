import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { GatehouseError } from '../../errors/index.js';
import type { Logger } from '../../log/logger.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { CompiledRoute } from '../../routing/index.js';
import { forwardHttp } from '../../proxy/forward-http.js';
import { forwardUpgrade } from '../../proxy/forward-websocket.js';
import { upstreamErrorFor, type UpstreamFailure } from '../../proxy/upstream-error.js';
import type { Upstream } from '../../proxy/upstream-pool.js';
import type { RequestContext } from '../context.js';
import type { RuntimeTable } from '../runtime-table.js';

/** Where an allowed request goes: the route's upstream in this snapshot, and the judged path. */
export interface ForwardTarget {
  readonly route: CompiledRoute;
  readonly pathAndQuery: string;
}

/**
 * The forward stage: HTTP through undici's dispatcher (proxy/forward-http.ts), upgrades through
 * proxy/forward-websocket.ts. A failed forward is counted (`gatehouse_upstream_errors_total{upstream,reason}`) and
 * turned into the 502/504 the transport answers when nothing was sent yet; a client that went away is not a failure.
 */
export interface Forward {
  /** Forwards one HTTP request; resolves the error to answer, or undefined when answered (or nobody is left to answer). */
  http(req: IncomingMessage, res: ServerResponse, target: ForwardTarget, headers: string[], table: RuntimeTable, ctx: RequestContext): Promise<GatehouseError | undefined>;
  /**
   * Forwards a judged Upgrade handshake (`method`, the mutated `headers`, the offered `protocols`); the client socket
   * is paused and `head` held until the upstream answers 101. Resolves the error to answer on the raw socket, or
   * undefined once answered (switched, or a declined answer relayed); a switched upgrade's `ctx.status` is 101.
   */
  upgrade(socket: Duplex, head: Buffer, target: ForwardTarget, request: { readonly method: string; readonly headers: readonly string[];
    readonly protocols: readonly string[] }, table: RuntimeTable, ctx: RequestContext): Promise<GatehouseError | undefined>;
}

/** Builds the forward stage. */
export function createForward(deps: { metrics: Metrics; logger: Logger }): Forward {
  const { metrics, logger } = deps;

  /** Counts and logs a failed forward; the error a client gets for it (502, or 504 for timeouts). */
  function failed(upstream: Upstream, reason: UpstreamFailure, cause: unknown, ctx: RequestContext): GatehouseError {
    metrics.upstreamErrors.inc({ upstream: upstream.name, reason });
    const err = upstreamErrorFor(reason, upstream.name, cause);
    ctx.outcome = 'upstream_failed';
    ctx.reason = reason;
    logger.warn({ route: ctx.route, upstream: upstream.name, reason, detail: err.detail }, 'upstream failed');
    return err;
  }

  return {
    async http(req, res, target, headers, table, ctx) {
      const upstream = upstreamOf(target, table);
      const admission = table.config.server.admission;
      if (upstream.queue.standing(admission.window, admission.upstream_queue_delay) >= admission.upstream_queue_delay) {
        // A standing queue for this upstream's connections: refused now rather than held (admission/upstream-queue.ts).
        metrics.loadShed.inc({ reason: 'upstream_queue', class: ctx.userId === undefined ? 'public' : 'session' });
        ctx.outcome = 'shed';
        ctx.reason = 'upstream_queue';
        return new GatehouseError('GATE_ERR_OVERLOADED', undefined, { detail: `shed: upstream_queue (${upstream.name})`, retryAfterSeconds: admission.retry_after / 1000 });
      }
      const startedAt = performance.now();
      const outcome = await forwardHttp(req, res, upstream, target.pathAndQuery, headers, ctx.id);
      ctx.upstreamMs = performance.now() - startedAt;
      if (outcome.ok) {
        ctx.outcome = 'forwarded';
        return undefined;
      }
      if (outcome.reason === 'client_gone') {
        ctx.outcome = 'client_gone';
        return undefined;
      }
      const err = failed(upstream, outcome.reason, outcome.error, ctx);
      return outcome.responded ? undefined : err;
    },
    async upgrade(socket, head, target, request, table, ctx) {
      const upstream = upstreamOf(target, table);
      const startedAt = performance.now();
      const outcome = await forwardUpgrade(socket, head, upstream, { ...request, pathAndQuery: target.pathAndQuery },
        table.config.server.tunnel_half_close_timeout);
      ctx.upstreamMs = performance.now() - startedAt;
      if (outcome.ok) {
        ctx.outcome = 'forwarded';
        ctx.status = outcome.switched ? 101 : outcome.status;
        return undefined;
      }
      if (outcome.reason === 'client_gone') {
        ctx.outcome = 'client_gone';
        return undefined;
      }
      return failed(upstream, outcome.reason, outcome.error, ctx);
    },
  };
}

/** The upstream a route names; config validation guarantees it exists in the same snapshot. */
function upstreamOf(target: ForwardTarget, table: RuntimeTable): Upstream {
  return table.upstreams.get(target.route.config.upstream!)!;
}

import { GatehouseError } from '../errors/index.js';

/** Why a forward failed, as a bounded metric label. */
export type UpstreamFailure = 'refused' | 'timeout' | 'connect_timeout' | 'reset' | 'error';

/** Classifies an error from undici or a socket into a failure reason. */
export function classifyUpstreamError(err: unknown): UpstreamFailure {
  const code = (err as { code?: string } | null)?.code;
  switch (code) {
    case 'ECONNREFUSED': return 'refused';
    case 'UND_ERR_HEADERS_TIMEOUT': case 'UND_ERR_BODY_TIMEOUT': case 'ETIMEDOUT': return 'timeout';
    case 'UND_ERR_CONNECT_TIMEOUT': return 'connect_timeout';
    case 'ECONNRESET': case 'UND_ERR_SOCKET': case 'EPIPE': case 'UND_ERR_CLOSED': return 'reset';
    default: return 'error';
  }
}

/** The error a client gets for a failed forward: 504 for timeouts, 502 for the rest. */
export function upstreamErrorFor(reason: UpstreamFailure, upstream: string, cause: unknown): GatehouseError {
  const timedOut = reason === 'timeout' || reason === 'connect_timeout';
  return new GatehouseError(timedOut ? 'GATE_ERR_UPSTREAM_TIMEOUT' : 'GATE_ERR_UPSTREAM_UNAVAILABLE', undefined, {
    detail: `upstream ${upstream}: ${reason}: ${(cause as Error)?.message ?? String(cause)}`, cause,
  });
}

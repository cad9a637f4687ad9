import type { GatehouseConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import { plainIp } from '../proxy/client-address.js';
import type { RequestContext, RequestObserver } from './context.js';

type AccessLogConfig = GatehouseConfig['logging']['access_log'];
type Field = AccessLogConfig['fields'][number];

/** `logging.access_log`, compiled once per configuration snapshot (src/pipeline/runtime-table.ts). */
export interface CompiledAccessLog {
  readonly enabled: boolean;
  readonly sampleRatio: number;
  readonly fields: readonly Field[];
  /** Lower-case names of the query parameters whose values are redacted. */
  readonly redact: ReadonlySet<string>;
}

/** Compiles `logging.access_log`. */
export function compileAccessLog(config: AccessLogConfig): CompiledAccessLog {
  return {
    enabled: config.enabled,
    sampleRatio: config.sample_ratio,
    fields: [...config.fields],
    redact: new Set(config.redact_query.map((name) => name.toLowerCase())),
  };
}

/** Longest request-target written to a line; longer ones are cut and end in "...". */
export const MAX_LOGGED_TARGET = 2048;

/**
 * The access log: one JSON line per request at info level, message "request", with the configured fields. Answers
 * of 500 and above are always logged; others with probability `sample_ratio`. A line never carries a credential:
 * no header but User-Agent is read, the query's credential parameters are redacted, and the caller is named by
 * user id only. Reads the settings of the current snapshot, so a reload turns it on, off or resamples at once.
 */
export function accessLog(deps: { logger: Logger; table(): { readonly accessLog: CompiledAccessLog }; random?: () => number }): RequestObserver {
  const { logger } = deps;
  const random = deps.random ?? Math.random;
  // The lines go through a child without the process logger's redaction: a line holds only the fields below, none
  // of them a secret (the query is redacted here), and pino's wildcard redaction paths cost several times the rest
  // of the line (measured: docs/operations.md, "Access log", Cost). The level is the process logger's, read per line.
  const lines = logger.child({}, { level: 'info', redact: { paths: [] } });
  return (ctx) => {
    const settings = deps.table().accessLog;
    if (!settings.enabled || !logger.isLevelEnabled('info')) return;
    if (settings.sampleRatio < 1 && ctx.status < 500 && random() >= settings.sampleRatio) return;
    const line: Record<string, string | number | undefined> = {};
    for (const field of settings.fields) line[field] = fieldValue(field, ctx, settings);
    lines.info(line, 'request');
  };
}

function fieldValue(field: Field, ctx: RequestContext, settings: CompiledAccessLog): string | number | undefined {
  switch (field) {
    case 'request_id': return ctx.id;
    case 'method': return ctx.method;
    case 'host': return ctx.host;
    case 'path': return redactTarget(ctx.target, settings.redact);
    case 'route': return ctx.route;
    case 'status': return ctx.status;
    case 'outcome': return ctx.outcome;
    case 'reason': return ctx.reason;
    case 'duration_ms': return round(performance.now() - ctx.startedAt);
    case 'upstream_ms': return ctx.upstreamMs < 0 ? undefined : round(ctx.upstreamMs);
    case 'bytes_in': return ctx.bytesIn;
    case 'bytes_out': return ctx.bytesOut;
    case 'client_ip': return ctx.clientIp ?? plainIp(ctx.peer);
    case 'user_id': return ctx.userId;
    case 'user_agent': return ctx.userAgent;
    case 'trace_id': return ctx.traceId;
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * The request-target with the values of credential parameters replaced by "[redacted]" (names compared after
 * percent-decoding, case-insensitively, so `%63ode=` and `CODE=` are caught as `code=`), cut to MAX_LOGGED_TARGET.
 */
export function redactTarget(target: string, redact: ReadonlySet<string>): string {
  const q = target.indexOf('?');
  let out = target;
  if (q !== -1 && redact.size > 0) {
    const pairs = target.slice(q + 1).split('&');
    let changed = false;
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i]!;
      const eq = pair.indexOf('=');
      if (eq === -1) continue;
      if (redact.has(decodeName(pair.slice(0, eq)))) {
        pairs[i] = `${pair.slice(0, eq)}=[redacted]`;
        changed = true;
      }
    }
    if (changed) out = `${target.slice(0, q)}?${pairs.join('&')}`;
  }
  return out.length > MAX_LOGGED_TARGET ? `${out.slice(0, MAX_LOGGED_TARGET)}...` : out;
}

function decodeName(raw: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw.toLowerCase();
  try {
    return decodeURIComponent(raw.replaceAll('+', ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

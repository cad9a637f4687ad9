import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type Context, type Span, type Tracer,
} from '@opentelemetry/api';
import type { Logger } from '../log/logger.js';

/** `tracing:` of the configuration, as the tracer needs it. */
export interface TracingSettings {
  readonly enabled: boolean;
  readonly otlp_endpoint: string;
  readonly sample_ratio: number;
  readonly service_name: string;
  readonly export_interval: number;
  readonly export_timeout: number;
  readonly max_queue: number;
}

/** Ends a span: with the error that ended its work (or none), and attributes learnt meanwhile. */
export type EndSpan = (err?: unknown, attributes?: Attributes) => void;

/**
 * OpenTelemetry spans for one app (no global tracer provider, no global context manager: two apps in one process
 * trace apart). When tracing is off every method is a constant-time no-op and callers on the request path check
 * `enabled` first, so a disabled tracer costs one property read per request.
 */
export interface Tracing {
  readonly enabled: boolean;
  /**
   * Starts a span, a child of the active one (or, with `root`, of none: background work that a request only woke up);
   * a leaf: work inside it does not nest under it.
   */
  start(name: string, attributes?: Attributes, kind?: SpanKind, root?: boolean): EndSpan;
  /** Runs `fn` inside a new span that is active while it runs, so spans started within nest under it. */
  inSpan<T>(name: string, attributes: Attributes | undefined, fn: () => Promise<T>): Promise<T>;
  /**
   * Runs `fn` inside a request's server span, continuing `traceparent` when `trusted` (the peer is a trusted proxy)
   * and it is well-formed, else starting a new trace. Returns the span; `fn` runs with it active.
   */
  request<T>(name: string, attributes: Attributes, traceparent: string | string[] | undefined, trusted: boolean, fn: (span: Span) => Promise<T>): Promise<T>;
  /** Flushes what is queued and stops exporting. */
  shutdown(): Promise<void>;
}

const NOOP_END: EndSpan = () => undefined;

/** The tracer of an app without `tracing.enabled`. */
export const TRACING_OFF: Tracing = Object.freeze({
  enabled: false,
  start: () => NOOP_END,
  inSpan: <T>(_name: string, _attributes: Attributes | undefined, fn: () => Promise<T>) => fn(),
  request: <T>(_n: string, _a: Attributes, _t: unknown, _trusted: boolean, fn: (span: Span) => Promise<T>) => fn(trace.wrapSpanContext({
    traceId: '00000000000000000000000000000000', spanId: '0000000000000000', traceFlags: TraceFlags.NONE,
  })),
  shutdown: async () => undefined,
});

/** W3C Trace Context §3.2: version-traceid-parentid-flags, lower-case hex; ids not all zeros; version ff invalid. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Parses a `traceparent` header into a remote parent, or undefined when it is absent or malformed. */
export function parseTraceparent(value: string | string[] | undefined): { traceId: string; spanId: string; traceFlags: number } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId!) || /^0+$/.test(spanId!)) return undefined;
  return { traceId: traceId!, spanId: spanId!, traceFlags: parseInt(flags!, 16) & TraceFlags.SAMPLED };
}

/** The `traceparent` value naming `span` as the parent of the next hop. */
export function traceparentOf(span: Span): string {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-0${(c.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

/**
 * Sets `traceparent` on the header list sent upstream (a flat name, value list) to name `span` as the parent. The
 * client's `traceparent` is dropped, and its `tracestate` too unless the peer is a trusted proxy whose trace this
 * continues (W3C Trace Context §3.3: tracestate travels with its traceparent).
 */
export function propagateTrace(headers: string[], span: Span, keepTracestate: boolean): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    const lower = headers[i]!.toLowerCase();
    if (lower === 'traceparent' || (lower === 'tracestate' && !keepTracestate)) headers.splice(i, 2);
  }
  headers.push('traceparent', traceparentOf(span));
}

/**
 * Builds the app's tracer. Off: TRACING_OFF, and the SDK is never loaded. On: the OpenTelemetry SDK (loaded here,
 * on demand) with a parent-based ratio sampler, a bounded batch processor and the OTLP/HTTP (JSON) exporter.
 */
export async function createTracing(settings: TracingSettings, deps: { logger: Logger; version: string }): Promise<Tracing> {
  if (!settings.enabled) return TRACING_OFF;
  const [{ BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler }, { OTLPTraceExporter }, { resourceFromAttributes }] =
    await Promise.all([import('@opentelemetry/sdk-trace-base'), import('@opentelemetry/exporter-trace-otlp-http'), import('@opentelemetry/resources')]);
  const exporter = new OTLPTraceExporter({ url: settings.otlp_endpoint, timeoutMillis: settings.export_timeout });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.service_name, 'service.version': deps.version }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sample_ratio) }),
    spanProcessors: [new BatchSpanProcessor(exporter, {
      maxQueueSize: settings.max_queue, maxExportBatchSize: Math.min(512, settings.max_queue),
      scheduledDelayMillis: settings.export_interval, exportTimeoutMillis: settings.export_timeout,
    })],
  });
  deps.logger.info({ endpoint: settings.otlp_endpoint, sampleRatio: settings.sample_ratio }, 'tracing on: exporting spans over OTLP/HTTP');
  return tracingWith(provider.getTracer('gatehouse', deps.version), () => provider.shutdown());
}

/** A Tracing over any OpenTelemetry tracer (the SDK's, in createTracing). */
export function tracingWith(tracer: Tracer, shutdown: () => Promise<void>): Tracing {
  // This app's active span, per async flow; the OpenTelemetry global context manager is left alone.
  const active = new AsyncLocalStorage<Context>();
  const parent = (): Context => active.getStore() ?? ROOT_CONTEXT;
  const ender = (span: Span): EndSpan => (err, attributes) => {
    if (attributes !== undefined) span.setAttributes(attributes);
    if (err !== undefined) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as { code?: string }).code ?? (err instanceof Error ? err.name : 'error') });
    }
    span.end();
  };
  return {
    enabled: true,
    start(name, attributes, kind = SpanKind.INTERNAL, root = false) {
      return ender(tracer.startSpan(name, { kind, root, ...(attributes ? { attributes } : {}) }, root ? ROOT_CONTEXT : parent()));
    },
    async inSpan(name, attributes, fn) {
      const outer = parent();
      const span = tracer.startSpan(name, attributes ? { attributes } : {}, outer);
      const end = ender(span);
      try {
        const value = await active.run(trace.setSpan(outer, span), fn);
        end();
        return value;
      } catch (err) {
        end(err);
        throw err;
      }
    },
    request(name, attributes, traceparent, trusted, fn) {
      const remote = trusted ? parseTraceparent(traceparent) : undefined;
      const outer = remote === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, { ...remote, isRemote: true });
      const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, outer);
      return active.run(trace.setSpan(outer, span), () => fn(span));
    },
    shutdown: () => shutdown().catch(() => undefined),
  };
}

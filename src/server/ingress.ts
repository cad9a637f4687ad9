import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { EventLoopDelay } from '../admission/event-loop-delay.js';
import { createAdmission, eventLoopDelayCheck, inFlightBound, type AdmissionCheck } from '../pipeline/1-admit/admit.js';
import { createForward } from '../pipeline/6-forward/forward.js';
import { RequestIds, type RequestObserver } from '../pipeline/context.js';
import { Pipeline, type PipelineStages } from '../pipeline/pipeline.js';
import { requestMetrics } from '../pipeline/request-metrics.js';
import { accessLog } from '../pipeline/access-log.js';
import { requestTracing } from '../pipeline/request-tracing.js';
import type { RuntimeTable } from '../pipeline/runtime-table.js';
import type { EndpointRouter } from '../http/endpoint-router.js';
import { createHttpTransport } from './http-transport.js';
import { createUpgradeTransport } from './upgrade-transport.js';

/** What the ingress needs from the app; passed in so tests can build several apps in one process. */
export interface IngressDeps {
  table(): RuntimeTable;
  metrics: Metrics;
  logger: Logger;
  endpoints: EndpointRouter;
  /** authenticate, authorize, mutate, as the composition root built them. */
  stages: PipelineStages;
  /** Admission checks (default: the in-flight bound, then the event-loop delay). */
  admissionChecks?: readonly AdmissionCheck[];
  /** Read each request's context when it ends, after the metrics and the access log (tracing). */
  observers?: readonly RequestObserver[];
}

/**
 * The ingress listener's two transports over one set of stages (src/pipeline/): HTTP requests and Upgrade
 * handshakes share one admission count, one pipeline and one forward stage, so they cannot drift apart.
 */
export function createIngress(deps: IngressDeps) {
  const { metrics, logger } = deps;
  // The probe behind the lateness check; the instance starts it with the listeners and stops it with them.
  const loopDelay = new EventLoopDelay({ onSample: (ms) => metrics.eventLoopDelay.observe(ms / 1000) });
  metrics.watchEventLoop(loopDelay);
  const admission = createAdmission({ metrics, checks: deps.admissionChecks ?? [inFlightBound, eventLoopDelayCheck(loopDelay)] });
  const pipeline = new Pipeline(deps.stages);
  const shared = {
    table: deps.table, admission, pipeline, forward: createForward({ metrics, logger }), logger, tracing: metrics.tracing,
    observers: [
      requestMetrics(metrics), accessLog({ logger, table: deps.table }), ...(metrics.tracing.enabled ? [requestTracing()] : []), ...(deps.observers ?? []),
    ],
    ids: new RequestIds(),
    onShedClose: () => metrics.connectionsClosed.inc({ reason: 'shed' }),
  };
  return {
    onRequest: createHttpTransport({ ...shared, endpoints: deps.endpoints }),
    onUpgrade: createUpgradeTransport(shared),
    inFlight: () => admission.inFlight(),
    loopDelay,
    pipeline,
  };
}

export type Ingress = ReturnType<typeof createIngress>;

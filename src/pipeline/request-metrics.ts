import { methodLabel, type Metrics } from '../metrics/metrics.js';
import type { RequestObserver } from './context.js';

/**
 * The first request observer: `gatehouse_http_requests_total{route,method,code}` and
 * `gatehouse_http_request_duration_seconds{route}`. Labelled children are looked up once per label set, not hashed
 * on every request (labels are bounded: route names from the config, known methods, status codes).
 */
export function requestMetrics(metrics: Metrics): RequestObserver {
  const counters = new Map<string, { inc(): void }>();
  const histograms = new Map<string, { observe(v: number): void }>();
  return (ctx) => {
    const routeName = ctx.route;
    const methodName = methodLabel(ctx.method);
    const key = `${routeName} ${methodName} ${ctx.status}`;
    let counter = counters.get(key);
    if (counter === undefined) counters.set(key, (counter = metrics.httpRequests.labels(routeName, methodName, String(ctx.status))));
    counter.inc();
    let histogram = histograms.get(routeName);
    if (histogram === undefined) histograms.set(routeName, (histogram = metrics.httpDuration.labels(routeName)));
    histogram.observe((performance.now() - ctx.startedAt) / 1000);
  };
}

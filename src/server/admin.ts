import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from '../metrics/metrics.js';
import { sendJson } from '../http/respond.js';
import { answerReadiness, type ReadinessCheck, type ReadinessDetail } from './readiness.js';

export type { ReadinessCheck, ReadinessDetail };

/**
 * The admin listener: /metrics (Prometheus text), /healthz (the process is alive) and /readyz (it should get
 * traffic). It is a separate listener so probes and scrapes are never shed with user traffic.
 */
export function createAdminHandler(deps: { metrics: Metrics; isReady(): boolean; checks: readonly ReadinessCheck[]; details?: readonly ReadinessDetail[] }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const [path, query = ''] = (req.url ?? '/').split('?');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'GET, HEAD' });
      return;
    }
    try {
      switch (path) {
        case '/metrics': {
          const text = await deps.metrics.registry.metrics();
          res.writeHead(200, { 'content-type': deps.metrics.registry.contentType, 'cache-control': 'no-store' });
          res.end(text);
          return;
        }
        case '/healthz':
          sendJson(res, 200, { status: 'ok' });
          return;
        case '/readyz': {
          const verbose = new URLSearchParams(query).has('verbose');
          const answer = await answerReadiness({ isReady: deps.isReady, checks: deps.checks, details: deps.details ?? [] }, verbose);
          deps.metrics.ready.set(answer.ready ? 1 : 0);
          sendJson(res, answer.status, answer.body);
          return;
        }
        default:
          sendJson(res, 404, { error: 'not_found' });
      }
    } catch {
      sendJson(res, 500, { error: 'internal' });
    }
  };
}

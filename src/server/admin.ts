import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from '../metrics/metrics.js';
import { sendJson } from '../http/respond.js';

/** A readiness condition besides "started and not draining", e.g. the store answering a ping. */
export interface ReadinessCheck {
  readonly name: string;
  /** Resolves true when ready; must answer within a second or two (it is called on every probe). */
  check(): Promise<boolean> | boolean;
}

/**
 * The admin listener: /metrics (Prometheus text), /healthz (the process is alive) and /readyz (it should get
 * traffic). It is a separate listener so probes and scrapes are never shed with user traffic.
 */
export function createAdminHandler(deps: { metrics: Metrics; isReady(): boolean; checks: readonly ReadinessCheck[] }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
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
          const failing: string[] = [];
          if (!deps.isReady()) failing.push('lifecycle');
          for (const c of deps.checks) {
            const ok = await Promise.race([Promise.resolve(c.check()).catch(() => false),
              new Promise<boolean>((r) => setTimeout(r, 2000, false).unref())]);
            if (!ok) failing.push(c.name);
          }
          const ready = failing.length === 0;
          deps.metrics.ready.set(ready ? 1 : 0);
          sendJson(res, ready ? 200 : 503, ready ? { status: 'ready' } : { status: 'not_ready', failing });
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

import { GatehouseError } from '../../errors/index.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { RuntimeTable } from '../runtime-table.js';

/**
 * One reason to refuse a request before any work is done on it. The in-flight bound is the first; a later overload
 * controller adds one that looks at how late the event loop runs (DESIGN.md: "say no early and cheaply").
 */
export interface AdmissionCheck {
  /** The `gatehouse_load_shed_total{reason}` label when this check refuses. */
  readonly reason: string;
  /** Whether to refuse now. `inFlight` already counts the request being judged. */
  refuse(inFlight: number, table: RuntimeTable): boolean;
}

/** `server.max_in_flight`: past it, 503 at once (read from the snapshot, so a reload changes it). */
export const inFlightBound: AdmissionCheck = {
  reason: 'in_flight',
  refuse: (inFlight, table) => inFlight > table.config.server.max_in_flight,
};

/** The admission stage: counts requests in flight (HTTP requests, and Upgrade handshakes until they settle). */
export interface Admission {
  /**
   * Counts a request in and runs the checks: undefined when it may go on, else the 503 to answer (with
   * Retry-After). Either way the caller calls `leave()` exactly once when the request ends.
   */
  enter(table: RuntimeTable): GatehouseError | undefined;
  leave(): void;
  inFlight(): number;
}

/** Builds the admission stage over `checks` (default: the in-flight bound). */
export function createAdmission(deps: { metrics: Metrics; checks?: readonly AdmissionCheck[] }): Admission {
  const { metrics } = deps;
  const checks = deps.checks ?? [inFlightBound];
  let inFlight = 0;
  return {
    enter(table) {
      inFlight++;
      metrics.inFlight.set(inFlight);
      for (let i = 0; i < checks.length; i++) {
        const check = checks[i]!;
        if (check.refuse(inFlight, table)) {
          metrics.loadShed.inc({ reason: check.reason });
          return new GatehouseError('GATE_ERR_OVERLOADED', undefined, { detail: `shed: ${check.reason}`, retryAfterSeconds: 1 });
        }
      }
      return undefined;
    },
    leave() {
      inFlight--;
      metrics.inFlight.set(inFlight);
    },
    inFlight: () => inFlight,
  };
}

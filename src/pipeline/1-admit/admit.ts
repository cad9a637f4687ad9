import { GatehouseError } from '../../errors/index.js';
import type { EventLoopDelay } from '../../admission/event-loop-delay.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { RuntimeTable } from '../runtime-table.js';

/**
 * Who goes first under load. `public` (a public route) and `session` (a protected route, with a session already
 * in the cache) are the traffic the application lives on and cost Gatehouse least; `anonymous` (a protected route
 * without a known session: a store read, or a 401/302 on the way to a login) and `gatehouse` (Gatehouse's own
 * endpoints: login pages, the SSO API, whose writes and hashing are the costliest work) are shed first. Logins
 * keep their own bound besides (the hash pool's try-acquire, 429). The admin listener (probes, metrics) is a
 * separate server and never passes through admission.
 */
export type RequestClass = 'public' | 'session' | 'anonymous' | 'gatehouse';

/** The classes refused first (from `server.admission.shed_delay_low_priority`). */
export const LOW_PRIORITY: ReadonlySet<RequestClass> = new Set<RequestClass>(['anonymous', 'gatehouse']);

/** Why a request was shed: `gatehouse_load_shed_total{reason}`. */
export type ShedReason = 'in_flight' | 'event_loop_delay' | 'upstream_queue';

/** How hard a check presses right now: admit everything, shed the low-priority classes, or shed everything. */
export const Pressure = { None: 0, Low: 1, All: 2 } as const;
export type Pressure = (typeof Pressure)[keyof typeof Pressure];

/**
 * One reason to refuse a request before any work is done on it, asked for every request (so it must cost next to
 * nothing: a counter, a clock read).
 */
export interface AdmissionCheck {
  /** The `gatehouse_load_shed_total{reason}` label when this check refuses. */
  readonly reason: ShedReason;
  /** The pressure now. `inFlight` already counts the request being judged. */
  pressure(inFlight: number, table: RuntimeTable): Pressure;
}

/** `server.max_in_flight`: past it, 503 at once, whatever the class (read from the snapshot, so a reload changes it). */
export const inFlightBound: AdmissionCheck = {
  reason: 'in_flight',
  pressure: (inFlight, table) => (inFlight > table.config.server.max_in_flight ? Pressure.All : Pressure.None),
};

/**
 * `server.admission.shed_delay(_low_priority)`: how late the event loop has been running, while busy, over the
 * last `server.admission.window`, which is how long a request read now waited unread (src/admission/
 * event-loop-delay.ts). Past the low-priority target the low classes are refused; past the target, everything
 * new. Work already admitted goes on, and finishes sooner for it.
 */
export function eventLoopDelayCheck(delay: Pick<EventLoopDelay, 'standing'>): AdmissionCheck {
  return {
    reason: 'event_loop_delay',
    pressure(_inFlight, table) {
      const late = delay.standing();
      const targets = table.config.server.admission;
      return late >= targets.shed_delay ? Pressure.All : late >= targets.shed_delay_low_priority ? Pressure.Low : Pressure.None;
    },
  };
}

/** A refusal: the 503 to answer, why, and the class of the request it refused. */
export interface Shed {
  readonly error: GatehouseError;
  readonly reason: ShedReason;
  readonly requestClass: RequestClass;
}

/** The admission stage: counts requests in flight (HTTP requests, and Upgrade handshakes until they settle). */
export interface Admission {
  /**
   * Counts a request in and runs the checks: undefined when it may go on, else the refusal. `classify` is called
   * only when a check presses (to pick the low-priority classes, and to label what was shed), never on the way in
   * of an unloaded process. Either way the caller calls `leave()` exactly once when the request ends.
   */
  enter(table: RuntimeTable, classify: () => RequestClass): Shed | undefined;
  leave(): void;
  inFlight(): number;
}

/** Builds the admission stage over `checks` (default: the in-flight bound). */
export function createAdmission(deps: { metrics: Metrics; checks?: readonly AdmissionCheck[] }): Admission {
  const { metrics } = deps;
  const checks = deps.checks ?? [inFlightBound];
  let inFlight = 0;
  metrics.watchInFlight(() => inFlight);
  const shed = (table: RuntimeTable, reason: ShedReason, requestClass: RequestClass): Shed => {
    metrics.loadShed.inc({ reason, class: requestClass });
    const retryAfterSeconds = table.config.server.admission.retry_after / 1000;
    // The transports answer with pre-built bytes; the error is built only for whoever asks (a shed must stay cheap).
    return {
      reason, requestClass,
      get error() {
        return new GatehouseError('GATE_ERR_OVERLOADED', undefined, { detail: `shed: ${reason} (${requestClass})`, retryAfterSeconds });
      },
    };
  };
  return {
    enter(table, classify) {
      inFlight++;
      let low: AdmissionCheck | undefined;
      for (let i = 0; i < checks.length; i++) {
        const check = checks[i]!;
        const pressure = check.pressure(inFlight, table);
        if (pressure === Pressure.All) return shed(table, check.reason, classify());
        if (pressure === Pressure.Low) low ??= check;
      }
      if (low !== undefined) {
        const requestClass = classify();
        if (LOW_PRIORITY.has(requestClass)) return shed(table, low.reason, requestClass);
      }
      return undefined;
    },
    leave() {
      inFlight--;
    },
    inFlight: () => inFlight,
  };
}

/**
 * What /readyz answers. Ready means "this replica can serve traffic": started and not draining, and every
 * readiness check passing. The database is deliberately not a check: with the database away a replica still
 * serves cached sessions and public routes, and a probe that failed on it would take every replica out of the
 * Service at the same moment (a database outage made total). Its state is a detail instead: `?verbose` shows it,
 * `gatehouse_store_up` exports it, and each change is logged (docs/operations.md, "Readiness and the database").
 */

/** A readiness condition besides "started and not draining". */
export interface ReadinessCheck {
  readonly name: string;
  /** Resolves true when ready; must answer within a second or two (it is called on every probe). */
  check(): Promise<boolean> | boolean;
}

/** Something /readyz?verbose reports without it deciding readiness (e.g. the database's state). */
export interface ReadinessDetail {
  readonly name: string;
  read(): unknown;
}

/** The status code and JSON body of one /readyz answer. */
export interface ReadinessAnswer {
  readonly ready: boolean;
  readonly status: 200 | 503;
  readonly body: Record<string, unknown>;
}

const CHECK_TIMEOUT_MS = 2000;

/** Runs the checks (each bounded by 2 s) and builds the answer; `verbose` adds every check and detail by name. */
export async function answerReadiness(deps: { isReady(): boolean; checks: readonly ReadinessCheck[]; details: readonly ReadinessDetail[] },
  verbose: boolean): Promise<ReadinessAnswer> {
  const results: Record<string, 'ok' | 'failing'> = { lifecycle: deps.isReady() ? 'ok' : 'failing' };
  await Promise.all(deps.checks.map(async (c) => {
    let timer: NodeJS.Timeout | undefined;
    const ok = await Promise.race([
      Promise.resolve().then(() => c.check()).catch(() => false),
      new Promise<boolean>((resolve) => { timer = setTimeout(resolve, CHECK_TIMEOUT_MS, false); }),
    ]);
    clearTimeout(timer);
    results[c.name] = ok ? 'ok' : 'failing';
  }));
  const failing = Object.keys(results).filter((name) => results[name] === 'failing');
  const ready = failing.length === 0;
  const body: Record<string, unknown> = ready ? { status: 'ready' } : { status: 'not_ready', failing };
  if (verbose) {
    body['checks'] = results;
    for (const d of deps.details) {
      try {
        body[d.name] = d.read();
      } catch (err) {
        body[d.name] = { error: String(err) };
      }
    }
  }
  return { ready, status: ready ? 200 : 503, body };
}

/**
 * The load generator, run as its own process (`node dist/bench/load-generator.js`, forked with an IPC channel by
 * bench/lib/load.ts): it receives one job, runs it, sends back the figures and exits. Each job holds one or more
 * streams running side by side against one origin, each with its own bounded undici Pool:
 *
 * - open: a fixed arrival rate. Request i is due at start + i / rate, whether or not earlier ones have answered,
 *   and its latency is measured from that intended time, not from when it was actually sent, so a stalled server
 *   cannot hide its stall by slowing the generator down (no coordinated omission). Outstanding requests are
 *   bounded (`maxOutstanding`); an arrival past the bound is counted as `dropped` and as an error.
 * - closed: `concurrency` workers, each sending its next request when the previous one has answered (saturation).
 *   A worker that gets a 429 may wait `backoffOn429Ms` (jittered) before its next try, as a polite client would.
 *
 * Only requests due (open) or started (closed) inside the measured window count; a warm-up runs before it. Every
 * loop ends at the window's end; requests still out are awaited at most `timeoutMs`.
 */
import { Pool } from 'undici';
import { Histogram, type LatencySummary } from './lib/histogram.js';

export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  /** Header sets used in turn (one per virtual user, say). */
  headers?: Record<string, string>[];
  /** When true, each header set is used once (a token that a logout spends); then they wrap and `reused` counts. */
  consume?: boolean;
  /** Bodies used in turn (one per login, say). */
  bodies?: string[];
}

export interface StreamSpec {
  name: string;
  mode: 'open' | 'closed';
  /** open: arrivals per second. */
  rate?: number;
  /** closed: workers. */
  concurrency?: number;
  /** Keep-alive connections in this stream's pool. */
  connections: number;
  mix: { kind: string; weight: number; request: RequestSpec }[];
  backoffOn429Ms?: number;
  maxOutstanding?: number;
}

export interface LoadJob {
  origin: string;
  streams: StreamSpec[];
  warmupMs: number;
  durationMs: number;
  /** A request without response headers and body by then is a timeout. */
  timeoutMs: number;
}

export interface KindFigures {
  requests: number;
  /** Responses by status class, plus the codes that matter on their own. */
  status: { '2xx': number; '3xx': number; '4xx': number; '5xx': number; '429': number; '503': number };
  timeouts: number;
  /** Connection errors and other failures without a status. */
  errors: number;
  /** open: arrivals refused by the generator's own outstanding bound. */
  dropped: number;
  /** Share of requests that failed: 5xx, 429, timeouts, errors, drops (not 4xx other than 429, which are answers). */
  errorRate: number;
  /** Completed responses per second of the window, and those with a 2xx/3xx. */
  throughput: number;
  acceptedPerS: number;
  latency: LatencySummary;
  /** Latency of 2xx/3xx responses only. */
  acceptedLatency: LatencySummary;
}

export interface StreamFigures {
  mode: 'open' | 'closed';
  targetRate?: number;
  concurrency?: number;
  connections: number;
  windowS: number;
  /** open: how many arrivals were due in the window, and the worst lag of the scheduler behind them (ms). */
  due?: number;
  maxSchedulerLagMs?: number;
  reused: number;
  /** How many header sets and bodies each kind used, warm-up included (the caller skips them next time). */
  used: Record<string, { headers: number; bodies: number }>;
  total: KindFigures;
  kinds: Record<string, KindFigures>;
}

export interface LoadResult {
  streams: Record<string, StreamFigures>;
  generatorCpuMs: number;
}

class KindStats {
  requests = 0;
  status = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '429': 0, '503': 0 };
  timeouts = 0;
  errors = 0;
  dropped = 0;
  readonly all = new Histogram();
  readonly accepted = new Histogram();

  figures(windowS: number): KindFigures {
    const failed = this.status['5xx'] + this.status['429'] + this.timeouts + this.errors + this.dropped;
    const completed = this.status['2xx'] + this.status['3xx'] + this.status['4xx'] + this.status['5xx'];
    return {
      requests: this.requests, status: { ...this.status }, timeouts: this.timeouts, errors: this.errors, dropped: this.dropped,
      errorRate: this.requests === 0 ? 0 : failed / this.requests,
      throughput: completed / windowS,
      acceptedPerS: (this.status['2xx'] + this.status['3xx']) / windowS,
      latency: this.all.summary(),
      acceptedLatency: this.accepted.summary(),
    };
  }
}

function classOf(code: number): '2xx' | '3xx' | '4xx' | '5xx' {
  return code < 300 ? '2xx' : code < 400 ? '3xx' : code < 500 ? '4xx' : '5xx';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs one job; exported so the smoke test could call it in-process, but normally reached through IPC. */
export async function runJob(job: LoadJob): Promise<LoadResult> {
  const cpu0 = process.cpuUsage();
  const start = performance.now() + 50;
  const windowStart = start + job.warmupMs;
  const windowEnd = windowStart + job.durationMs;
  const results = await Promise.all(job.streams.map((s) => runStream(job, s, start, windowStart, windowEnd)));
  const cpu = process.cpuUsage(cpu0);
  return {
    streams: Object.fromEntries(job.streams.map((s, i) => [s.name, results[i]!])),
    generatorCpuMs: (cpu.user + cpu.system) / 1000,
  };
}

async function runStream(job: LoadJob, spec: StreamSpec, start: number, windowStart: number, windowEnd: number): Promise<StreamFigures> {
  const pool = new Pool(job.origin, {
    connections: spec.connections, pipelining: 1,
    headersTimeout: job.timeoutMs, bodyTimeout: job.timeoutMs, connectTimeout: job.timeoutMs,
    keepAliveTimeout: 30_000,
  });
  const total = new KindStats();
  const kinds = new Map(spec.mix.map((m) => [m.kind, new KindStats()]));
  const weights = spec.mix.reduce((a, m) => a + m.weight, 0);
  const cursors = spec.mix.map(() => ({ header: 0, body: 0 }));
  let reused = 0;
  let outstanding = 0;
  const inFlight = new Set<Promise<void>>();

  function pick(): number {
    let r = Math.random() * weights;
    for (let i = 0; i < spec.mix.length; i++) {
      r -= spec.mix[i]!.weight;
      if (r < 0) return i;
    }
    return spec.mix.length - 1;
  }

  /** Sends one request; resolves with its status (0 for timeout/error) after recording it when `counted`. */
  async function send(index: number, since: number, counted: boolean): Promise<number> {
    const m = spec.mix[index]!;
    const c = cursors[index]!;
    const req = m.request;
    let headers: Record<string, string> = {};
    if (req.headers && req.headers.length > 0) {
      if (req.consume && c.header >= req.headers.length) reused++;
      headers = { ...req.headers[c.header++ % req.headers.length]! };
    }
    let body: string | undefined;
    if (req.bodies && req.bodies.length > 0) {
      body = req.bodies[c.body++ % req.bodies.length]!;
      headers['content-type'] ??= 'application/json';
    }
    let code = 0;
    let timedOut = false;
    try {
      const res = await pool.request({ method: req.method, path: req.path, headers, body: body ?? null });
      code = res.statusCode;
      await res.body.dump({ limit: 1 << 20 });
    } catch (err) {
      const name = (err as { code?: string }).code ?? '';
      timedOut = name === 'UND_ERR_HEADERS_TIMEOUT' || name === 'UND_ERR_BODY_TIMEOUT' || name === 'UND_ERR_CONNECT_TIMEOUT';
      code = 0;
    }
    if (counted) {
      const ms = performance.now() - since;
      for (const s of [total, kinds.get(m.kind)!]) {
        s.requests++;
        if (code === 0) {
          if (timedOut) s.timeouts++; else s.errors++;
        } else {
          s.status[classOf(code)]++;
          if (code === 429) s.status['429']++;
          if (code === 503) s.status['503']++;
          s.all.recordMs(ms);
          if (code < 400) s.accepted.recordMs(ms);
        }
      }
    }
    return code;
  }

  let due = 0;
  let maxLag = 0;
  if (spec.mode === 'open') {
    const rate = spec.rate!;
    const maxOutstanding = spec.maxOutstanding ?? 10_000;
    let i = 0;
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = performance.now();
        for (;;) {
          const intended = start + (i * 1000) / rate;
          if (intended > now || intended >= windowEnd) break;
          i++;
          const counted = intended >= windowStart;
          if (counted) {
            due++;
            maxLag = Math.max(maxLag, now - intended);
          }
          const index = pick();
          if (outstanding >= maxOutstanding) {
            if (counted) for (const s of [total, kinds.get(spec.mix[index]!.kind)!]) { s.requests++; s.dropped++; }
            continue;
          }
          outstanding++;
          const p: Promise<void> = send(index, intended, counted).then(() => { outstanding--; inFlight.delete(p); });
          inFlight.add(p);
        }
        if (now >= windowEnd) resolve();
        else setTimeout(tick, 1);
      };
      setTimeout(tick, Math.max(0, start - performance.now()));
    });
  } else {
    await sleep(Math.max(0, start - performance.now()));
    await Promise.all(Array.from({ length: spec.concurrency! }, async () => {
      while (performance.now() < windowEnd) {
        const t = performance.now();
        const code = await send(pick(), t, t >= windowStart);
        if (code === 429 && spec.backoffOn429Ms) await sleep(spec.backoffOn429Ms * (0.5 + Math.random()));
        else if (code === 0) await sleep(5); // a refused connection must not become a hot loop
      }
    }));
  }
  // Requests still out: wait for them (each is bounded by timeoutMs), then close the pool.
  await Promise.race([Promise.all(inFlight), sleep(job.timeoutMs + 1000)]);
  await pool.destroy();
  const windowS = (windowEnd - windowStart) / 1000;
  return {
    mode: spec.mode, connections: spec.connections, windowS, reused,
    used: Object.fromEntries(spec.mix.map((m, i) => [m.kind, { headers: cursors[i]!.header, bodies: cursors[i]!.body }])),
    ...(spec.mode === 'open' ? { targetRate: spec.rate!, due, maxSchedulerLagMs: Math.round(maxLag * 10) / 10 } : { concurrency: spec.concurrency! }),
    total: total.figures(windowS),
    kinds: Object.fromEntries([...kinds].map(([k, s]) => [k, s.figures(windowS)])),
  };
}

// As a child process: one job in, one result out, then exit (and a hard stop if the parent goes away).
if (process.send !== undefined && process.argv[1]?.endsWith('load-generator.js')) {
  process.on('disconnect', () => process.exit(0));
  process.once('message', (job: LoadJob) => {
    const hardStop = setTimeout(() => process.exit(3), job.warmupMs + job.durationMs + job.timeoutMs + 30_000);
    runJob(job).then(
      (result) => process.send!({ ok: true, result }, () => { clearTimeout(hardStop); process.exit(0); }),
      (err: unknown) => process.send!({ ok: false, error: String((err as Error)?.stack ?? err) }, () => process.exit(1)),
    );
  });
}

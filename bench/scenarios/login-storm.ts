// Scenario `login-storm`: concurrent logins at several times the hash pool's capacity, while other users keep
// reading at a fixed rate. Per round, in alternation: the raw async Argon2 verify rate of this machine (its own
// process, no HTTP), then per system reads alone (the baseline), then reads + the storm. Reported: accepted logins/s
// against the raw rate, the share of 429s, 5xx (must be zero), event-loop delay p99 during the storm, and the
// readers' p95 during the storm against their p95 without it. Gatehouse is compared with the express stack, whose
// passport-local verify has no admission control at all.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startChild, waitForLine } from '../lib/processes.js';
import { BENCH_PASSWORD, type RunningSystem } from '../systems/system.js';
import { fmt, loginAll, median, pct, phase, type BenchContext, type Scenario, type ScenarioResult, type TargetCheck } from './common.js';

const RAW = fileURLToPath(new URL('../lib/argon2-raw.js', import.meta.url));
const READERS = 32;
const READ_RATE = 200;
const RETRY_AFTER_MS = 25;

interface Round {
  raw: number;
  systems: Record<string, {
    baselineP95: number; baselineP99: number; stormReadP95: number; stormReadP99: number; readErrors: number;
    accepted: number; attempts: number; r429: number; r5xx: number; timeouts: number; otherErrors: number; loopP99: number;
    loginP95: number; cpu: Record<string, number>;
  }>;
}

async function rawArgon2(ctx: BenchContext, seconds: number): Promise<number> {
  const child = startChild('argon2-raw', process.execPath, [RAW, String(seconds), String(availableParallelism()), ctx.passwordHash, BENCH_PASSWORD]);
  try {
    const m = await waitForLine(child, /\{"verifiesPerS":([\d.]+)/, seconds * 1000 + 15_000);
    return Number(m[1]);
  } finally {
    await child.stop();
  }
}

export const loginStormScenario: Scenario = {
  name: 'login-storm',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const cores = availableParallelism();
    // Gatehouse's defaults: permits = cores, queue = 2 x cores.
    const capacity = cores + 2 * cores;
    const stormers = capacity * 8;
    const defs = ctx.systems.filter((s) => s.name === 'gatehouse' || s.name === 'express-stack');
    const running: RunningSystem[] = [];
    const readerHeaders = new Map<string, Record<string, string>[]>();
    const rounds: Round[] = [];
    try {
      for (const def of defs) {
        const sys = await def.start(ctx);
        running.push(sys);
        readerHeaders.set(sys.name, await loginAll((u) => sys.login(u), ctx.users.slice(0, READERS)));
      }
      const stormUsers = ctx.users.slice(READERS);
      for (let round = 0; round < ctx.rounds; round++) {
        const r: Round = { raw: await rawArgon2(ctx, (ctx.warmupMs + ctx.phaseMs) / 1000), systems: {} };
        rounds.push(r);
        ctx.log(`login-storm round ${round + 1}: raw async Argon2 verify ${fmt(r.raw)}/s`);
        for (const sys of running) {
          const reads = { name: 'reads', mode: 'open' as const, rate: READ_RATE, connections: 16, maxOutstanding: 2000,
            mix: [{ kind: 'read', weight: 1, request: { method: 'GET' as const, path: '/api/items/7', headers: readerHeaders.get(sys.name)! } }] };
          const groups = { [sys.name]: () => sys.pids(), 'upstream app': () => [ctx.upstreamPid] };
          const base = await phase({ origin: sys.origin, warmupMs: ctx.warmupMs, durationMs: ctx.phaseMs, timeoutMs: 5000, streams: [reads] }, groups);
          await sys.loopDelayP99Ms?.(); // resets the system's loop-delay histogram
          const storm = await phase({
            origin: sys.origin, warmupMs: ctx.warmupMs, durationMs: ctx.phaseMs, timeoutMs: 10_000,
            streams: [reads, {
              name: 'logins', mode: 'closed', concurrency: stormers, connections: stormers, backoffOn429Ms: RETRY_AFTER_MS,
              mix: [{ kind: 'login', weight: 1, request: { method: 'POST', path: sys.loginRequest!.path, bodies: stormUsers.map((u) => sys.loginRequest!.body(u)) } }],
            }],
          }, groups);
          const loopP99 = (await sys.loopDelayP99Ms?.()) ?? NaN;
          const b = base.load.streams['reads']!.total;
          const sr = storm.load.streams['reads']!.total;
          const lg = storm.load.streams['logins']!.total;
          r.systems[sys.name] = {
            baselineP95: b.latency.p95, baselineP99: b.latency.p99, stormReadP95: sr.latency.p95, stormReadP99: sr.latency.p99,
            readErrors: sr.requests - sr.status['2xx'],
            accepted: lg.status['2xx'], attempts: lg.requests, r429: lg.status['429'], r5xx: lg.status['5xx'], timeouts: lg.timeouts,
            otherErrors: lg.errors + lg.status['4xx'] - lg.status['429'], loopP99, loginP95: lg.acceptedLatency.p95,
            cpu: storm.cpu.processes,
          };
          ctx.log(`login-storm round ${round + 1} ${sys.name}: ${fmt(lg.acceptedPerS)} logins/s accepted (${pct(lg.acceptedPerS / r.raw)} of raw), ` +
            `429 ${pct(lg.status['429'] / Math.max(1, lg.requests))}, 5xx ${lg.status['5xx']}, loop p99 ${fmt(loopP99)} ms, ` +
            `read p95 ${fmt(b.latency.p95)} -> ${fmt(sr.latency.p95)} ms`);
        }
      }
    } finally {
      for (const s of running) await s.stop();
    }
    const windowS = ctx.phaseMs / 1000;
    const raw = median(rounds.map((r) => r.raw));
    const m = (name: string, pick: (x: Round['systems'][string]) => number): number => median(rounds.map((r) => r.systems[name]).filter((x) => x !== undefined).map(pick));
    const total = (name: string, pick: (x: Round['systems'][string]) => number): number => rounds.reduce((a, r) => a + (r.systems[name] ? pick(r.systems[name]!) : 0), 0);
    const rows = running.map((sys) => {
      const acc = m(sys.name, (x) => x.accepted / windowS);
      return [
        sys.label, fmt(acc), pct(acc / raw), pct(total(sys.name, (x) => x.r429) / Math.max(1, total(sys.name, (x) => x.attempts))),
        total(sys.name, (x) => x.r5xx), total(sys.name, (x) => x.timeouts), fmt(m(sys.name, (x) => x.loginP95)),
        fmt(m(sys.name, (x) => x.loopP99)), fmt(m(sys.name, (x) => x.baselineP95)), fmt(m(sys.name, (x) => x.stormReadP95)),
        fmt(m(sys.name, (x) => x.stormReadP95 / x.baselineP95)), total(sys.name, (x) => x.readErrors),
      ];
    });
    const targets: TargetCheck[] = [];
    if (rounds.some((r) => r.systems['gatehouse'])) {
      const acc = m('gatehouse', (x) => x.accepted / windowS) / raw;
      targets.push({ scenario: 'login-storm', target: 'accepted logins >= 90% of the raw Argon2 rate', measured: pct(acc), met: acc >= 0.9,
        ...(acc < 0.9 ? { missBy: `${fmt(100 * (0.9 - acc), 1)} points short` } : {}) });
      const e5 = total('gatehouse', (x) => x.r5xx);
      targets.push({ scenario: 'login-storm', target: 'zero 5xx', measured: String(e5), met: e5 === 0 });
      const loop = m('gatehouse', (x) => x.loopP99);
      targets.push({ scenario: 'login-storm', target: 'event-loop delay p99 < 20 ms', measured: `${fmt(loop)} ms`, met: loop < 20,
        ...(loop >= 20 ? { missBy: `${fmt(loop - 20)} ms over` } : {}) });
      const ratio = m('gatehouse', (x) => x.stormReadP95 / x.baselineP95);
      targets.push({ scenario: 'login-storm', target: 'read p95 during the storm <= 2x without it', measured: `${fmt(ratio)}x (${fmt(m('gatehouse', (x) => x.baselineP95))} -> ${fmt(m('gatehouse', (x) => x.stormReadP95))} ms)`,
        met: ratio <= 2, ...(ratio > 2 ? { missBy: `${fmt(ratio - 2)}x over` } : {}) });
    }
    return {
      name: 'login-storm',
      summary: `${stormers} clients logging in in a closed loop (8x Gatehouse's hash capacity of ${capacity}: ${cores} permits + ${2 * cores} queue places), ` +
        `a refused client retrying after ~${RETRY_AFTER_MS} ms; meanwhile ${READERS} other users read at ${READ_RATE} req/s (open model). ` +
        `Argon2id m=19456 KiB t=2 p=1 everywhere. ${ctx.rounds} rounds of ${windowS} s; medians.`,
      settings: { stormers, capacity, readers: READERS, readRate: READ_RATE, retryAfterMs: RETRY_AFTER_MS, rounds: ctx.rounds, phaseMs: ctx.phaseMs },
      tables: [{
        title: `login-storm: raw async Argon2 verify on this machine = ${fmt(raw)}/s (${cores} callers, no HTTP)`,
        header: ['system', 'accepted logins/s', 'vs raw Argon2', '429 share', '5xx', 'timeouts', 'accepted login p95 ms', 'event-loop delay p99 ms',
          'read p95 ms, no storm', 'read p95 ms, storm', 'read p95 ratio', 'failed reads'],
        rows,
      }],
      targets,
      notes: ['Event-loop delay: Gatehouse\'s own nodejs_eventloop_lag_p99_seconds (prom-client, 10 ms resolution, reset on each scrape); the express stack exposes the same histogram on a bench-only path.'],
      raw: { rawArgon2PerS: rounds.map((r) => r.raw), rounds },
    };
  },
};

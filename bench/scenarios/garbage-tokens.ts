// Scenario `garbage-tokens`: a flood of random and forged session tokens (closed loop, as fast as the box allows)
// while real users read at a fixed rate. Reported: how many session-store reads the flood caused (the target is
// none: shape and MAC are checked before any I/O) and the real users' latency during the flood against without it.
// The session cache TTL is raised for this scenario only, so the real users' own periodic re-reads (one per user
// per TTL) cannot blur the count: every store read in the flood window is then one a garbage token caused.
import { randomBytes } from 'node:crypto';
import { scrape, delta, type Samples } from '../lib/prometheus.js';
import { gatehouse, COOKIE, type RunningGatehouse } from '../systems/gatehouse.js';
import { fmt, loginAll, median, pct, phase, type BenchContext, type Scenario, type ScenarioResult, type TargetCheck } from './common.js';

const REAL_USERS = 32;
const REAL_RATE = 300;
const FLOODERS = 32;
const b64 = (n: number): string => randomBytes(n).toString('base64url');

/** Distinct garbage of three kinds: random junk, our shape with a wrong MAC, our shape under an unknown key id. */
function garbage(keyId: string, n: number): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (let i = 0; i < n; i++) {
    const token = i % 3 === 0 ? b64(10 + (i % 50))
      : i % 3 === 1 ? `${keyId}.${b64(32)}.${b64(16)}`
        : `k${(i % 9) + 1}x.${b64(32)}.${b64(16)}`;
    out.push(i % 2 === 0 ? { cookie: `${COOKIE}=${token}` } : { authorization: `Bearer ${token}` });
  }
  return out;
}

export const garbageTokensScenario: Scenario = {
  name: 'garbage-tokens',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const gh = await gatehouse({ config: { sessions: { cookie: { name: COOKIE, secure: false }, cache: { ttl: '1h' } } }, ...(ctx.profileDir ? { cpuProfileDir: ctx.profileDir } : {}) })
      .start(ctx) as RunningGatehouse;
    const rounds: { base: Record<string, number>; flood: Record<string, number> }[] = [];
    try {
      const real = await loginAll((u) => gh.login(u), ctx.users.slice(0, REAL_USERS));
      const forged = garbage(gh.tokenKeyId, ctx.quick ? 3000 : 30_000);
      const reads = { name: 'real', mode: 'open' as const, rate: REAL_RATE, connections: 16, maxOutstanding: 2000,
        mix: [{ kind: 'read', weight: 1, request: { method: 'GET' as const, path: '/api/items/3', headers: real } }] };
      const groups = { gatehouse: () => gh.pids(), 'upstream app': () => [ctx.upstreamPid] };
      const counts = (b: Samples, a: Samples): Record<string, number> => ({
        storeReads: delta(b, a, 'gatehouse_session_cache_misses_total'),
        hits: delta(b, a, 'gatehouse_session_cache_hits_total'),
        malformed: delta(b, a, 'gatehouse_session_tokens_rejected_total', 'reason="malformed"'),
        badMac: delta(b, a, 'gatehouse_session_tokens_rejected_total', 'reason="bad_mac"'),
        unknown: delta(b, a, 'gatehouse_session_tokens_rejected_total', 'reason="unknown"'),
      });
      for (let round = 0; round < ctx.rounds; round++) {
        const out: { base: Record<string, number>; flood: Record<string, number> } = { base: {}, flood: {} };
        for (const kind of ['base', 'flood'] as const) {
          const before = await scrape(gh.metricsUrl);
          const streams = kind === 'base' ? [reads] : [reads, {
            name: 'garbage', mode: 'closed' as const, concurrency: FLOODERS, connections: FLOODERS,
            mix: [{ kind: 'garbage', weight: 1, request: { method: 'GET' as const, path: '/api/items/3', headers: forged } }],
          }];
          const p = await phase({ origin: gh.origin, warmupMs: ctx.warmupMs, durationMs: ctx.phaseMs, timeoutMs: 5000, streams }, groups);
          const after = await scrape(gh.metricsUrl);
          const r = p.load.streams['real']!.total;
          const g = p.load.streams['garbage']?.total;
          out[kind] = {
            ...counts(before, after), realP50: r.latency.p50, realP95: r.latency.p95, realP99: r.latency.p99, realFailed: r.requests - r.status['2xx'],
            garbagePerS: g?.throughput ?? 0, garbage401: g?.status['4xx'] ?? 0, garbageOther: g ? g.requests - g.status['4xx'] : 0,
            cpuGatehouse: p.cpu.processes['gatehouse'] ?? NaN,
          };
        }
        rounds.push(out);
        ctx.log(`garbage-tokens round ${round + 1}: ${fmt(out.flood['garbagePerS']!)} garbage req/s, store reads ${out.flood['storeReads']}, ` +
          `real p95 ${fmt(out.base['realP95']!)} -> ${fmt(out.flood['realP95']!)} ms`);
      }
    } finally {
      await gh.stop();
    }
    const m = (k: 'base' | 'flood', f: string): number => median(rounds.map((r) => r[k][f]!));
    const sum = (k: 'base' | 'flood', f: string): number => rounds.reduce((a, r) => a + r[k][f]!, 0);
    const storeReads = sum('flood', 'storeReads');
    const targets: TargetCheck[] = [{
      scenario: 'garbage-tokens', target: 'zero store reads caused by forged tokens', measured: `${fmt(storeReads)} session-store reads during ${fmt(sum('flood', 'malformed') + sum('flood', 'badMac'))} garbage tokens`,
      met: storeReads === 0, ...(storeReads > 0 ? { missBy: `${fmt(storeReads)} reads` } : {}),
    }];
    return {
      name: 'garbage-tokens',
      summary: `${FLOODERS} clients sending random and forged tokens in a closed loop (a third random junk, a third our shape with a wrong MAC, a third under unknown key ids; cookies and bearer alike), ` +
        `while ${REAL_USERS} real users read at ${REAL_RATE} req/s (open model). ${ctx.rounds} rounds of ${ctx.phaseMs / 1000} s; medians, store reads summed.`,
      settings: { realUsers: REAL_USERS, realRate: REAL_RATE, flooders: FLOODERS, cacheTtl: '1h (this scenario only)' },
      tables: [{
        title: 'garbage-tokens: what a flood of forged tokens costs',
        header: ['phase', 'garbage req/s', 'garbage answered 401', 'session-store reads', 'rejected: malformed', 'rejected: bad MAC', 'rejected: unknown (store read)', 'real p50 ms', 'real p95 ms', 'real p99 ms', 'real failed', 'Gatehouse CPU'],
        rows: (['base', 'flood'] as const).map((k) => [k === 'base' ? 'real users alone' : 'real users + flood', fmt(m(k, 'garbagePerS')), fmt(sum(k, 'garbage401')),
          fmt(sum(k, 'storeReads')), fmt(sum(k, 'malformed')), fmt(sum(k, 'badMac')), fmt(sum(k, 'unknown')),
          fmt(m(k, 'realP50')), fmt(m(k, 'realP95')), fmt(m(k, 'realP99')), fmt(sum(k, 'realFailed')), `${fmt(m(k, 'cpuGatehouse'), 0)}%`]),
      }],
      targets,
      notes: [`Real users' p95 rises ${pct(m('flood', 'realP95') / m('base', 'realP95') - 1, 0)} under the flood: the flood costs CPU (HTTP parsing, HMAC), never the store.`],
      raw: { rounds },
    };
  },
};

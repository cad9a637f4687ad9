// Scenario `story-mix`: the story's scoreboard, reproduced. Virtual users log in once (through HTTP, Argon2 and
// all), then make mostly authenticated reads through Gatehouse, with a share of audited writes. Per round: find
// saturation with a closed loop (64 connections), then hold a fixed arrival rate (open model, latency from the
// intended send time) at half of it, at it, and at twice it. Printed beside the story's own figures.
//
// The write share: each write is a database write plus an audit event. The SSO API (issue 6) is the intended write;
// until it exists in this tree the audited write is a logout (POST /.gatehouse/logout: a session read, an UPDATE
// revoking it, a `user.logout` audit event), each spending one session pre-minted into the store before start.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { StreamSpec, KindFigures } from '../load-generator.js';
import { scrape, delta, quantileBetween, type Samples } from '../lib/prometheus.js';
import { gatehouse, type RunningGatehouse } from '../systems/gatehouse.js';
import { bottleneck, fmt, loginAll, median, pct, phase, type BenchContext, type PhaseResult, type Scenario, type ScenarioResult, type TargetCheck } from './common.js';

const STORY = { initial: { rps: '~135 (unstable)', p95: '17,690 ms', errors: '0% (but unusable)', bottleneck: 'CPU & DB locks' },
  moderate: { rps: '210 (stable)', p95: '4.88 ms', errors: '0.00%', bottleneck: 'none (server bored)' },
  saturation: { rps: '467 (maxed)', p95: '2,720 ms', errors: '0.01%', bottleneck: 'DB connection pool limit' } };
const STORY_SATURATION = 467;
const VIRTUAL_USERS = 200;
const WRITE_SHARE = 0.05;
const SAT_CONNECTIONS = 64;
const OPEN_CONNECTIONS = 256;
/**
 * Gatehouse runs on its defaults (server.max_in_flight 4096, admission by lateness and by the upstream queue). A fixed
 * bound of 128 for this box was used before admission existed: the open phases' bursts (256 connections, a generator
 * catching up after its own scheduler lag) then tripped it at half load (262 shed in a 5 s phase, 0 with the
 * defaults). Past saturation it kept Gatehouse's own read p95 at 33-35 ms against 48 ms with the defaults (one run
 * of 5 s phases each): an operator who wants that trades it for shedding in bursts.
 */
const MAX_IN_FLIGHT = 4096;

type PhaseName = 'saturation' | 'half' | 'at' | 'double' | 'quadruple';
interface PhaseFigures {
  name: PhaseName; rate?: number; total: KindFigures; reads: KindFigures; writes: KindFigures; audited: number; storeReads: number; shed: number;
  bottleneck: string; cpu: PhaseResult['cpu']; maxSchedulerLagMs?: number; reused: number;
  /** Gatehouse's own p95 (ms) of the phase's answers, from its request-duration histogram: the time it held each one. */
  serverP95: number;
  /** Shed answers of the phase (warm-up included) by reason. */
  shedBy: Record<string, number>;
}

const WRITES = {
  api: 'POST /.gatehouse/api/v1/orgs (SSO API: an organization and its owner membership in one transaction, plus an org.requested audit event)',
  logout: 'POST /.gatehouse/logout (the SSO API is not served by this build: a session read, an UPDATE revoking it, a user.logout audit event)',
} as const;

/** Whether this build serves the SSO API: one org created by the first virtual user answers 201. */
async function probeApi(origin: string, headers: Record<string, string>): Promise<boolean> {
  try {
    const res = await request(`${origin}/.gatehouse/api/v1/orgs`, {
      method: 'POST', headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ slug: `bench-probe-${randomBytes(4).toString('hex')}`, name: 'Bench probe' }), headersTimeout: 5000, bodyTimeout: 5000,
    });
    await res.body.dump();
    return res.statusCode === 201;
  } catch {
    return false;
  }
}

export const storyMixScenario: Scenario = {
  name: 'story-mix',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const estimatedWrites = ctx.quick ? 4000 : 60_000;
    // Sessions for logout writes are only pre-minted when this build has no SSO API to write through.
    const apiBuilt = existsSync(fileURLToPath(new URL('../../src/api/install-api.js', import.meta.url)));
    const gh = await gatehouse({ maxInFlight: MAX_IN_FLIGHT, preMintedSessions: apiBuilt ? 1000 : estimatedWrites, ...(ctx.profileDir ? { cpuProfileDir: ctx.profileDir } : {}) })
      .start(ctx) as RunningGatehouse;
    const rounds: PhaseFigures[][] = [];
    let loginSeconds = NaN;
    let writeKind: keyof typeof WRITES = 'logout';
    const runTag = randomBytes(3).toString('hex');
    try {
      const t = performance.now();
      const vus = await loginAll((u) => gh.login(u), ctx.users.slice(0, VIRTUAL_USERS));
      loginSeconds = (performance.now() - t) / 1000;
      // The write: the SSO API's POST /orgs when this build serves it (a transaction of two inserts and an audit
      // event), else a logout spending a pre-minted session (an UPDATE and an audit event).
      writeKind = await probeApi(gh.origin, vus[0]!) ? 'api' : 'logout';
      ctx.log(`story-mix: ${VIRTUAL_USERS} virtual users logged in in ${fmt(loginSeconds)} s; audited write = ${WRITES[writeKind]}`);
      let spare = gh.spareSessions;
      let orgBodies = Array.from({ length: estimatedWrites }, (_, i) => JSON.stringify({ slug: `bench-${runTag}-${i}`, name: `Bench org ${i}` }));
      const mixNow = (): StreamSpec['mix'] => [
        { kind: 'read', weight: 1 - WRITE_SHARE, request: { method: 'GET', path: '/api/items/7', headers: vus } },
        writeKind === 'api'
          ? { kind: 'write', weight: WRITE_SHARE, request: { method: 'POST', path: '/.gatehouse/api/v1/orgs', headers: vus, bodies: orgBodies, consume: true } }
          : { kind: 'write', weight: WRITE_SHARE, request: { method: 'POST', path: '/.gatehouse/logout', headers: spare, consume: true, bodies: ['{}'] } },
      ];
      /** Drops the tokens or slugs a phase spent, so the next phase starts on fresh ones. */
      const spend = (used: { headers: number; bodies: number } | undefined): void => {
        if (!used) return;
        if (writeKind === 'api') orgBodies = orgBodies.slice(Math.min(used.bodies, orgBodies.length - 1));
        else spare = spare.slice(Math.min(used.headers, spare.length - 1));
      };
      const groups = { gatehouse: () => gh.pids(), 'upstream app': () => [ctx.upstreamPid] };
      const run = async (name: PhaseName, s: StreamSpec): Promise<PhaseFigures> => {
        const before = await scrape(gh.metricsUrl);
        // Gatehouse's own latency over the measured window alone (the warm-up opens 256 connections at once).
        let windowBefore: Promise<Samples> | undefined;
        let windowAfter: Promise<Samples> | undefined;
        const p = await phase({ origin: gh.origin, warmupMs: ctx.warmupMs, durationMs: ctx.phaseMs, timeoutMs: 5000, streams: [s] }, groups, {
          start: () => { windowBefore = scrape(gh.metricsUrl); }, end: () => { windowAfter = scrape(gh.metricsUrl); },
        });
        const after = await scrape(gh.metricsUrl);
        const [inBefore, inAfter] = [await (windowBefore ?? Promise.resolve(before)), await (windowAfter ?? Promise.resolve(after))];
        const f = p.load.streams[s.name]!;
        spend(f.used['write']);
        const out: PhaseFigures = {
          name, ...(s.rate !== undefined ? { rate: s.rate } : {}), total: f.total, reads: f.kinds['read']!, writes: f.kinds['write']!,
          audited: delta(before, after, 'gatehouse_audit_events_written_total'), storeReads: delta(before, after, 'gatehouse_session_cache_misses_total'),
          shed: delta(before, after, 'gatehouse_load_shed_total'), bottleneck: bottleneck(p.cpu, 'gatehouse'), cpu: p.cpu, reused: f.reused,
          shedBy: Object.fromEntries(['event_loop_delay', 'in_flight', 'upstream_queue'].map((r) => [r, delta(before, after, 'gatehouse_load_shed_total', `reason="${r}"`)])),
          serverP95: quantileBetween(inBefore, inAfter, 'gatehouse_http_request_duration_seconds', 0.95, 'route="app"') * 1000,
          ...(f.maxSchedulerLagMs !== undefined ? { maxSchedulerLagMs: f.maxSchedulerLagMs } : {}),
        };
        ctx.log(`story-mix ${name}${s.rate ? ` @${fmt(s.rate)}/s` : ''}: ${fmt(f.total.acceptedPerS)} req/s accepted, p95 ${fmt(f.total.acceptedLatency.p95)} ms, ` +
          `errors ${pct(f.total.errorRate, 2)} (503 ${f.total.status['503']}, 429 ${f.total.status['429']}, timeouts ${f.total.timeouts}, dropped ${f.total.dropped}); ` +
          `Gatehouse's own p95 ${fmt(out.serverP95)} ms; shed by reason ${JSON.stringify(out.shedBy)}; ${out.bottleneck}`);
        return out;
      };
      const open = (rate: number): StreamSpec => ({ name: 'mix', mode: 'open', rate, connections: OPEN_CONNECTIONS, maxOutstanding: 4096, mix: mixNow() });
      for (let round = 0; round < ctx.rounds; round++) {
        const sat = await run('saturation', { name: 'mix', mode: 'closed', concurrency: SAT_CONNECTIONS, connections: SAT_CONNECTIONS, mix: mixNow() });
        const s = Math.max(50, Math.round(sat.total.acceptedPerS));
        const half = await run('half', open(Math.round(s / 2)));
        const at = await run('at', open(s));
        const double = await run('double', open(2 * s));
        rounds.push([sat, half, at, double, await run('quadruple', open(4 * s))]);
      }
    } finally {
      await gh.stop();
    }
    const pick = (name: PhaseName): PhaseFigures[] => rounds.map((r) => r.find((p) => p.name === name)!);
    const m = (name: PhaseName, f: (p: PhaseFigures) => number): number => median(pick(name).map(f));
    const middle = (name: PhaseName): PhaseFigures => {
      const all = pick(name).sort((a, b) => a.total.acceptedPerS - b.total.acceptedPerS);
      return all[Math.floor(all.length / 2)]!;
    };
    const col = (name: PhaseName): string[] => {
      const shed = m(name, (p) => p.total.status['503'] + p.total.status['429']);
      const other = m(name, (p) => p.total.timeouts + p.total.errors + p.total.dropped + p.total.status['5xx'] - p.total.status['503']);
      return [
        `${fmt(m(name, (p) => p.total.acceptedPerS))}${name === 'saturation' ? '' : ` (offered ${fmt(m(name, (p) => p.rate ?? NaN))})`}`,
        `${fmt(m(name, (p) => p.total.acceptedLatency.p95))} ms`,
        `${pct(m(name, (p) => p.total.errorRate), 2)}${shed > 0 ? ` (shed 503/429: ${fmt(shed)}; other: ${fmt(other)})` : ''}`,
        middle(name).bottleneck.split(';')[0]!,
      ];
    };
    const s = m('saturation', (p) => p.total.acceptedPerS);
    const half = { p95: m('half', (p) => p.total.acceptedLatency.p95), failed: m('half', (p) => p.total.requests - p.total.status['2xx']) };
    const overload = (name: 'double' | 'quadruple') => ({
      p95: m(name, (p) => p.total.acceptedLatency.p95),
      good: m(name, (p) => p.total.acceptedPerS),
      bad: m(name, (p) => p.total.timeouts + p.total.errors + p.total.dropped + p.total.status['5xx'] - p.total.status['503'] + p.total.status['4xx'] - p.total.status['429']),
      timeouts: m(name, (p) => p.total.timeouts),
    });
    const overloadTarget = (name: 'double' | 'quadruple', times: string): TargetCheck => {
      const o = overload(name);
      const enough = o.good >= 0.7 * s;
      return {
        scenario: 'story-mix', target: `at ${times} saturation (open): good answers >= 70% of saturation, accepted p95 <= 50 ms, only 429/503 beyond capacity`,
        measured: `${fmt(o.good)} good/s (${pct(o.good / s, 0)} of ${fmt(s)}), accepted p95 ${fmt(o.p95)} ms, ${fmt(o.bad)} failures other than 429/503, ${fmt(o.timeouts)} timeouts`,
        met: enough && o.p95 <= 50 && o.bad === 0,
        ...(!enough ? { missBy: `${pct(0.7 - o.good / s, 0)} of saturation short` } : o.p95 > 50 ? { missBy: `p95 ${fmt(o.p95 - 50)} ms over` } : o.bad > 0 ? { missBy: `${fmt(o.bad)} other failures` } : {}),
      };
    };
    const targets: TargetCheck[] = [
      { scenario: 'story-mix', target: `saturation >= 20x the story's ${STORY_SATURATION} req/s (${20 * STORY_SATURATION})`, measured: `${fmt(s)} req/s (${fmt(s / STORY_SATURATION)}x)`,
        met: s >= 20 * STORY_SATURATION, ...(s < 20 * STORY_SATURATION ? { missBy: `${fmt(20 * STORY_SATURATION - s)} req/s short (${fmt(s / STORY_SATURATION)}x instead of 20x)` } : {}) },
      { scenario: 'story-mix', target: 'at half of saturation: p95 < 5 ms, no errors', measured: `p95 ${fmt(half.p95)} ms, ${fmt(half.failed)} non-2xx`,
        met: half.p95 < 5 && half.failed === 0, ...(half.p95 >= 5 ? { missBy: `p95 ${fmt(half.p95 - 5)} ms over` } : half.failed > 0 ? { missBy: `${fmt(half.failed)} failed requests` } : {}) },
      overloadTarget('double', 'twice'),
      overloadTarget('quadruple', 'four times'),
    ];
    const detail = (['saturation', 'half', 'at', 'double', 'quadruple'] as PhaseName[]).map((name) => [
      name, name === 'saturation' ? `closed, ${SAT_CONNECTIONS} conns` : `open ${fmt(m(name, (p) => p.rate ?? NaN))}/s, ${OPEN_CONNECTIONS} conns`,
      fmt(m(name, (p) => p.total.acceptedPerS)), fmt(m(name, (p) => p.reads.acceptedLatency.p50)), fmt(m(name, (p) => p.reads.acceptedLatency.p95)),
      fmt(m(name, (p) => p.reads.acceptedLatency.p99)), fmt(m(name, (p) => p.writes.acceptedLatency.p95)), fmt(m(name, (p) => p.serverP95)),
      fmt(m(name, (p) => p.audited / (ctx.phaseMs / 1000 + ctx.warmupMs / 1000))),
      fmt(m(name, (p) => p.storeReads)), fmt(m(name, (p) => p.total.status['503'])), fmt(m(name, (p) => p.total.timeouts)), fmt(m(name, (p) => p.total.dropped)),
      `${fmt(m(name, (p) => p.cpu.processes['gatehouse'] ?? NaN), 0)}% / ${fmt(m(name, (p) => p.cpu.processes['load generator'] ?? NaN), 0)}% / ${fmt(m(name, (p) => p.cpu.machine), 0)}%`,
    ]);
    return {
      name: 'story-mix',
      summary: `Gatehouse on ${ctx.store}: ${VIRTUAL_USERS} virtual users logged in once (HTTP logins took ${fmt(loginSeconds)} s), then ${pct(1 - WRITE_SHARE, 0)} authenticated reads ` +
        `and ${pct(WRITE_SHARE, 0)} audited writes: ${WRITES[writeKind]}. ` +
        `Gatehouse on its defaults (server.max_in_flight ${MAX_IN_FLIGHT}, admission by lateness and by the upstream queue). ${ctx.rounds} rounds; medians.`,
      settings: { virtualUsers: VIRTUAL_USERS, writeShare: WRITE_SHARE, write: WRITES[writeKind], maxInFlight: MAX_IN_FLIGHT, saturationConnections: SAT_CONNECTIONS, openConnections: OPEN_CONNECTIONS, store: ctx.store },
      tables: [{
        title: `story-mix: the story's scoreboard beside Gatehouse's (${ctx.store}, this machine)`,
        header: ['metric', 'story: initial', 'story: optimized, moderate', 'story: optimized, saturation', 'Gatehouse: half of saturation (open)', 'Gatehouse: saturation (closed, 64 conns)', 'Gatehouse: at saturation rate (open)', 'Gatehouse: twice saturation (open)', 'Gatehouse: four times saturation (open)'],
        rows: [
          ['throughput (req/s)', STORY.initial.rps, STORY.moderate.rps, STORY.saturation.rps, col('half')[0]!, col('saturation')[0]!, col('at')[0]!, col('double')[0]!, col('quadruple')[0]!],
          ['p95 latency', STORY.initial.p95, STORY.moderate.p95, STORY.saturation.p95, col('half')[1]!, col('saturation')[1]!, col('at')[1]!, col('double')[1]!, col('quadruple')[1]!],
          ['error rate', STORY.initial.errors, STORY.moderate.errors, STORY.saturation.errors, col('half')[2]!, col('saturation')[2]!, col('at')[2]!, col('double')[2]!, col('quadruple')[2]!],
          ['bottleneck', STORY.initial.bottleneck, STORY.moderate.bottleneck, STORY.saturation.bottleneck, col('half')[3]!, col('saturation')[3]!, col('at')[3]!, col('double')[3]!, col('quadruple')[3]!],
        ],
        note: 'p95 is of accepted (2xx/3xx) responses, measured from the intended send time in the open phases; error rate counts 5xx, 429, timeouts and connection errors over all requests.',
      }, {
        title: 'story-mix: phases in detail (medians)',
        header: ['phase', 'load', 'accepted req/s', 'read p50 ms', 'read p95 ms', 'read p99 ms', 'write p95 ms', "Gatehouse's own p95 ms", 'audit events written/s', 'session store reads', '503 shed', 'timeouts', 'not sent (generator full)', 'CPU gatehouse / generator / machine'],
        rows: detail,
      }],
      targets,
      notes: [
        'Bottleneck is read from CPU time per process in the measured window (/proc): a process near 100% of one core is the limit; Gatehouse is one event-loop thread (Argon2 and SQLite run on other threads).',
        `Each write spends a fresh ${writeKind === 'api' ? 'org slug' : 'pre-minted session'} (${estimatedWrites} prepared); one that had to reuse a spent one is counted in results.json (reused).`,
        `At half of saturation: Gatehouse's own read p95 was ${fmt(m('half', (p) => p.serverP95))} ms against ${fmt(m('half', (p) => p.reads.acceptedLatency.p95))} ms ` +
          `measured by the generator from the intended send times; the generator's own scheduler ran up to ${fmt(m('half', (p) => p.maxSchedulerLagMs ?? NaN))} ms ` +
          `behind them (it shares the two cores with Gatehouse and the upstream: machine ${fmt(m('half', (p) => p.cpu.machine), 0)}% busy).`,
        ...(['at', 'double', 'quadruple'] as const).map((name) => `${name === 'at' ? 'At the saturation rate' : name === 'double' ? 'At twice it' : 'At four times it'}: ` +
          `Gatehouse's own read p95 was ${fmt(m(name, (p) => p.serverP95))} ms (its request-duration histogram: from reading the request to the end of ` +
          `its answer) while the generator measured ${fmt(m(name, (p) => p.reads.acceptedLatency.p95))} ms from each request's intended send time; the ` +
          `difference is time spent in the generator waiting for one of its ${OPEN_CONNECTIONS} connections, and ` +
          `${fmt(m(name, (p) => p.total.dropped))} arrivals were never sent (its 4,096 outstanding bound), counted as failures. The generator used ` +
          `${fmt(m(name, (p) => p.cpu.processes['load generator'] ?? NaN), 0)}% of a core.`),
      ],
      raw: { loginSeconds, rounds },
    };
  },
};

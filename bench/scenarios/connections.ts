// Scenario `connections`: what more clients than Gatehouse can serve do to it, measured with wrk in closed loop
// (cheap on the shared cores, so the generator does not decide the result). Authenticated GETs, as in `proxy`, at 64
// connections and at 2,000, for the upstream alone, the bare undici forwarder and Gatehouse on its defaults,
// alternating. At 2,000 closed-loop clients every answer, accepted or shed, is followed at once by the next request,
// so by Little's law the mean latency is 2,000 / (answers per second): it is bounded by how many answers per second
// the process can give, shed ones included. Gatehouse's own view (its request-duration histogram and shed counter)
// is reported beside wrk's, which tells the time spent inside Gatehouse from the time spent before it read the request.
import type { RunningSystem } from '../systems/system.js';
import type { RunningGatehouse } from '../systems/gatehouse.js';
import { measureCpu } from '../lib/cpu.js';
import { delta, quantileBetween, scrape } from '../lib/prometheus.js';
import { runWrk, wrkMissing, type WrkRun } from '../lib/wrk.js';
import { fmt, median, pct, type BenchContext, type Scenario, type ScenarioResult, type TargetCheck } from './common.js';

const PATH = '/api/items/42';
const FEW = 64;
const MANY = 2000;

interface Sample {
  run: WrkRun;
  /** CPU time of the system's own process per answer, microseconds. */
  cpuUsPerAnswer: number;
  machineCpu: number;
  /** Gatehouse only: its shed answers and its own p99 of the route's answers (ms). */
  shed?: number;
  serverP99?: number;
}

const SYSTEMS = ['upstream', 'undici-forwarder', 'gatehouse'];

export const connectionsScenario: Scenario = {
  name: 'connections',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    if (await wrkMissing()) throw new Error('wrk is not installed (bash .ci/install-system-packages.sh installs it)');
    const running: RunningSystem[] = [];
    const cookies = new Map<string, Record<string, string>>();
    const samples = new Map<string, { [FEW]: Sample[]; [MANY]: Sample[] }>();
    const seconds = Math.max(1, Math.round(ctx.phaseMs / 1000));
    try {
      for (const def of ctx.systems.filter((s) => SYSTEMS.includes(s.name))) {
        const sys = await def.start(ctx);
        running.push(sys);
        // Baselines get a cookie of the same size, so the bytes on the wire match.
        cookies.set(sys.name, sys.authenticates ? (await sys.login(ctx.users[0]!)) : { cookie: `session=${'x'.repeat(64)}` });
        samples.set(sys.name, { [FEW]: [], [MANY]: [] });
        await runWrk(`${sys.origin}${PATH}`, { connections: FEW, seconds: Math.max(1, Math.round(ctx.warmupMs / 1000)), headers: cookies.get(sys.name)! });
      }
      for (let round = 0; round < ctx.rounds; round++) {
        for (const sys of running) {
          for (const connections of [FEW, MANY] as const) {
            const gh = sys.name === 'gatehouse' ? (sys as RunningGatehouse) : undefined;
            const before = gh ? await scrape(gh.metricsUrl) : undefined;
            const stop = measureCpu({ own: () => sys.pids() });
            const run = await runWrk(`${sys.origin}${PATH}`, { connections, seconds, headers: cookies.get(sys.name)! });
            const cpu = stop();
            const after = gh ? await scrape(gh.metricsUrl) : undefined;
            const sample: Sample = {
              run, cpuUsPerAnswer: ((cpu.processes['own'] ?? NaN) / 100) * seconds * 1e6 / Math.max(1, run.requests), machineCpu: cpu.machine,
              ...(before && after ? {
                shed: delta(before, after, 'gatehouse_load_shed_total'),
                serverP99: quantileBetween(before, after, 'gatehouse_http_request_duration_seconds', 0.99, 'route="app"') * 1000,
              } : {}),
            };
            samples.get(sys.name)![connections].push(sample);
            ctx.log(`connections round ${round + 1}/${ctx.rounds} ${sys.name} x${connections}: ${fmt(run.goodPerS)} good/s, ${fmt(run.perS)} answers/s, ` +
              `p99 ${fmt(run.latencyMs.p99)} ms, non-2xx ${run.non2xx}, wrk timeouts ${run.socketErrors.timeout}, ` +
              `${fmt(sample.cpuUsPerAnswer)} us CPU per answer${gh ? `, shed ${sample.shed}, Gatehouse's own p99 ${fmt(sample.serverP99 ?? NaN)} ms` : ''}`);
          }
        }
      }
    } finally {
      for (const sys of running) await sys.stop();
    }
    const m = (name: string, n: typeof FEW | typeof MANY, pick: (s: Sample) => number): number => median((samples.get(name)?.[n] ?? []).map(pick));
    const sum = (name: string, n: typeof FEW | typeof MANY, pick: (s: Sample) => number): number => (samples.get(name)?.[n] ?? []).reduce((a, s) => a + pick(s), 0);
    const rows = running.map((sys) => {
      const name = sys.name;
      const ratio = m(name, MANY, (s) => s.run.goodPerS) / m(name, FEW, (s) => s.run.goodPerS);
      return [
        sys.label, fmt(m(name, FEW, (s) => s.run.goodPerS)), fmt(m(name, FEW, (s) => s.run.latencyMs.p99)),
        fmt(m(name, MANY, (s) => s.run.goodPerS)), pct(ratio, 0), fmt(m(name, MANY, (s) => s.run.perS)), fmt(m(name, MANY, (s) => s.run.latencyMs.p99)),
        fmt(sum(name, MANY, (s) => s.run.non2xx)), fmt(sum(name, MANY, (s) => s.run.socketErrors.timeout)),
        `${fmt(m(name, FEW, (s) => s.cpuUsPerAnswer))} / ${fmt(m(name, MANY, (s) => s.cpuUsPerAnswer))}`,
        name === 'gatehouse' ? `${fmt(m(name, FEW, (s) => s.serverP99 ?? NaN))} / ${fmt(m(name, MANY, (s) => s.serverP99 ?? NaN))}` : '',
      ];
    });
    const targets: TargetCheck[] = [];
    if (samples.has('gatehouse')) {
      const few = m('gatehouse', FEW, (s) => s.run.goodPerS);
      const many = m('gatehouse', MANY, (s) => s.run.goodPerS);
      const p99 = m('gatehouse', MANY, (s) => s.run.latencyMs.p99);
      const timeouts = sum('gatehouse', MANY, (s) => s.run.socketErrors.timeout);
      const met = many >= 0.9 * few && p99 <= 100 && timeouts === 0;
      targets.push({
        scenario: 'connections', target: `closed loop at ${fmt(MANY)} connections (wrk): goodput >= 90% of the ${FEW}-connection figure; p99 of all answers <= 100 ms; no timeouts`,
        measured: `${fmt(many)} vs ${fmt(few)} good/s (${pct(many / few, 0)}), p99 ${fmt(p99)} ms, ${fmt(timeouts)} wrk timeouts`,
        met,
        ...(!met ? { missBy: [many < 0.9 * few ? `goodput ${pct(0.9 - many / few, 0)} short` : '', p99 > 100 ? `p99 ${fmt(p99 - 100)} ms over` : '',
          timeouts > 0 ? `${fmt(timeouts)} wrk timeouts` : ''].filter((x) => x !== '').join('; ') } : {}),
      });
    }
    return {
      name: 'connections',
      summary: `Authenticated GET ${PATH}, wrk -t1 in closed loop at ${FEW} and ${fmt(MANY)} connections, ${seconds} s each, ${ctx.rounds} alternating rounds; medians ` +
        '(non-2xx and wrk timeouts are totals). Gatehouse runs on its defaults (server.max_in_flight 4096, admission by lateness).',
      settings: { few: FEW, many: MANY, seconds, rounds: ctx.rounds, path: PATH },
      tables: [{
        title: `connections: ${FEW} vs ${fmt(MANY)} closed-loop clients (wrk)`,
        header: ['system', `good/s at ${FEW}`, `p99 ms at ${FEW}`, `good/s at ${fmt(MANY)}`, `vs ${FEW}`, `answers/s at ${fmt(MANY)}`, `p99 ms at ${fmt(MANY)}`,
          `non-2xx at ${fmt(MANY)}`, `wrk timeouts at ${fmt(MANY)}`, `CPU us per answer (${FEW} / ${fmt(MANY)})`, `Gatehouse's own p99 ms (${FEW} / ${fmt(MANY)})`],
        rows,
        note: `By Little's law a closed loop of ${fmt(MANY)} clients waits ${fmt(MANY)} / (answers per second) on average: ${fmt(MANY)} clients at 10,000 answers/s ` +
          'is 200 ms. wrk counts a "timeout" for every connection whose last request was written more than 2 s before one of its 2 s checks, outstanding or not.',
      }],
      targets,
      notes: [],
      raw: Object.fromEntries([...samples].map(([k, v]) => [k, { [FEW]: v[FEW], [MANY]: v[MANY] }])),
    };
  },
};

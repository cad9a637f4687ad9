// Scenario `proxy`: authenticated GETs with a valid session through each system, 64 connections, closed loop
// (saturation): a cache hit for Gatehouse, a session read + user read + session touch for the express stack, and
// plain forwarding for the baselines (which get a session cookie of the same size so the bytes on the wire match).
// Systems run in alternation, `rounds` times; the tables show medians and ratios within this run.
import type { StreamFigures } from '../load-generator.js';
import type { RunningSystem } from '../systems/system.js';
import { fmt, loginAll, median, phase, pct, type BenchContext, type Scenario, type ScenarioResult, type TargetCheck } from './common.js';

const CONNECTIONS = 64;
const PATH = '/api/items/42';

interface Sample { figures: StreamFigures; cpuOwn: number; cpuMachine: number; cpuUpstream: number; cpuGenerator: number }

export const proxyScenario: Scenario = {
  name: 'proxy',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const notes: string[] = [];
    const running: RunningSystem[] = [];
    const headers = new Map<string, Record<string, string>[]>();
    try {
      for (const def of ctx.systems) {
        const why = def.unavailable?.();
        if (why !== undefined) { notes.push(`${def.label}: ${why}`); ctx.log(`proxy: ${why}`); continue; }
        const sys = await def.start(ctx);
        running.push(sys);
        const users = ctx.users.slice(0, CONNECTIONS);
        headers.set(sys.name, sys.authenticates
          ? await loginAll((u) => sys.login(u), users)
          : users.map((_, i) => ({ cookie: `session=${'x'.repeat(60)}${String(i).padStart(4, '0')}` })));
      }
      const samples = new Map<string, Sample[]>(running.map((s) => [s.name, []]));
      for (let round = 0; round < ctx.rounds; round++) {
        for (const sys of running) {
          const p = await phase({
            origin: sys.origin, warmupMs: ctx.warmupMs, durationMs: ctx.phaseMs, timeoutMs: 5000,
            streams: [{ name: 'reads', mode: 'closed', concurrency: CONNECTIONS, connections: CONNECTIONS,
              mix: [{ kind: 'get', weight: 1, request: { method: 'GET', path: PATH, headers: headers.get(sys.name)! } }] }],
          }, { [sys.name]: () => sys.pids(), ...(sys.name === 'upstream' ? {} : { 'upstream app': () => [ctx.upstreamPid] }) });
          const f = p.load.streams['reads']!;
          samples.get(sys.name)!.push({
            figures: f, cpuOwn: p.cpu.processes[sys.name] ?? NaN, cpuMachine: p.cpu.machine,
            cpuUpstream: p.cpu.processes['upstream app'] ?? NaN, cpuGenerator: p.cpu.processes['load generator'] ?? NaN,
          });
          ctx.log(`proxy round ${round + 1}/${ctx.rounds} ${sys.name}: ${fmt(f.total.acceptedPerS)} req/s, p99 ${fmt(f.total.latency.p99)} ms, ` +
            `errors ${pct(f.total.errorRate, 2)}, non-2xx ${f.total.requests - f.total.status['2xx']}`);
        }
      }
      const med = (name: string, pick: (s: Sample) => number): number => median((samples.get(name) ?? []).map(pick));
      const tput = (name: string): number => med(name, (s) => s.figures.total.acceptedPerS);
      const p99 = (name: string): number => med(name, (s) => s.figures.total.latency.p99);
      const upstream = tput('upstream');
      const forwarder = tput('undici-forwarder');
      const rows = running.map((sys) => {
        const all = samples.get(sys.name)!;
        const requests = all.reduce((a, s) => a + s.figures.total.requests, 0);
        const non2xx = all.reduce((a, s) => a + s.figures.total.requests - s.figures.total.status['2xx'], 0);
        return [
          sys.label, fmt(tput(sys.name)), pct(tput(sys.name) / upstream, 0), pct(tput(sys.name) / forwarder, 0),
          fmt(med(sys.name, (s) => s.figures.total.latency.p50)), fmt(med(sys.name, (s) => s.figures.total.latency.p95)),
          fmt(p99(sys.name)), fmt(Math.max(...all.map((s) => s.figures.total.latency.max))),
          `${non2xx} / ${requests}`, `${fmt(med(sys.name, (s) => s.cpuOwn), 0)}%`, `${fmt(med(sys.name, (s) => s.cpuMachine), 0)}%`,
        ];
      });
      const targets: TargetCheck[] = [];
      const g = tput('gatehouse');
      const ex = tput('express-stack');
      if (samples.has('gatehouse') && samples.has('undici-forwarder')) {
        const ratio = g / forwarder;
        targets.push({ scenario: 'proxy', target: 'Gatehouse throughput >= 90% of the bare undici forwarder', measured: `${pct(ratio)} (${fmt(g)} vs ${fmt(forwarder)} req/s)`,
          met: ratio >= 0.9, ...(ratio < 0.9 ? { missBy: `${fmt(100 * (0.9 - ratio), 1)} points short (${fmt(0.9 * forwarder - g)} req/s)` } : {}) });
        const pr = p99('gatehouse') / p99('undici-forwarder');
        targets.push({ scenario: 'proxy', target: 'Gatehouse p99 <= 1.5x the forwarder\'s', measured: `${fmt(pr)}x (${fmt(p99('gatehouse'))} vs ${fmt(p99('undici-forwarder'))} ms)`,
          met: pr <= 1.5, ...(pr > 1.5 ? { missBy: `${fmt(pr - 1.5)}x over` } : {}) });
      }
      if (samples.has('gatehouse') && samples.has('express-stack')) {
        targets.push({ scenario: 'proxy', target: 'Gatehouse beats the express stack', measured: `${fmt(g / ex)}x its throughput (${fmt(g)} vs ${fmt(ex)} req/s)`, met: g > ex });
      }
      const hp = tput('http-proxy-forwarder');
      if (samples.has('http-proxy-forwarder')) {
        notes.push(`Forwarding library, by measurement: undici ${fmt(forwarder)} req/s vs http-proxy ${fmt(hp)} req/s (${fmt(forwarder / hp)}x); Gatehouse forwards with undici.`);
      }
      return {
        name: 'proxy',
        summary: `Authenticated GET ${PATH} with a valid session, ${CONNECTIONS} connections, closed loop; ${ctx.rounds} alternating rounds of ${ctx.phaseMs / 1000} s (+${ctx.warmupMs / 1000} s warm-up); medians.`,
        settings: { connections: CONNECTIONS, path: PATH, rounds: ctx.rounds, phaseMs: ctx.phaseMs, warmupMs: ctx.warmupMs },
        tables: [{
          title: 'proxy: authenticated reads at saturation (64 connections)',
          header: ['system', 'req/s', 'vs upstream', 'vs undici forwarder', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'non-2xx / requests', 'system CPU (1 core = 100%)', 'machine CPU'],
          rows,
        }],
        targets, notes,
        raw: Object.fromEntries([...samples].map(([k, v]) => [k, v])),
      };
    } finally {
      for (const s of running) await s.stop();
    }
  },
};

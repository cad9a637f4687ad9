// Scenario `forward-auth`: authenticated GETs through nginx -> upstream with `auth_request` to Gatehouse (each
// request a subrequest answered from the session cache), beside nginx alone (no auth) and Gatehouse in proxy mode,
// same run, 64 connections, closed loop, systems in alternation. Reports req/s, p99 and Gatehouse's CPU per
// request in each mode (its process's CPU time divided by the requests it served in the phase).
import type { StreamFigures } from '../load-generator.js';
import type { RunningSystem, SystemDefinition } from '../systems/system.js';
import { nginxForwardAuth, type RunningForwardAuth } from '../systems/nginx-forward-auth.js';
import { fmt, loginAll, median, phase, pct, type BenchContext, type Scenario, type ScenarioResult } from './common.js';

const CONNECTIONS = 64;
const PATH = '/api/items/42';

interface Sample { figures: StreamFigures; cpuSystem: number; cpuGatehouse: number; cpuNginx: number; cpuMachine: number; seconds: number }

export const forwardAuthScenario: Scenario = {
    name: 'forward-auth',
    async run(ctx: BenchContext): Promise<ScenarioResult> {
      const notes: string[] = [];
      // nginx alone and Gatehouse in proxy mode are the run's own systems; the forward-auth pair is this scenario's.
      const byName = (name: string): SystemDefinition[] => ctx.systems.filter((s) => s.name === name);
      const systems = [...byName('nginx'), nginxForwardAuth, ...byName('gatehouse')];
      const running: RunningSystem[] = [];
      const headers = new Map<string, Record<string, string>[]>();
      try {
        for (const def of systems) {
          const why = def.unavailable?.();
          if (why !== undefined) { notes.push(`${def.label}: ${why}`); ctx.log(`forward-auth: ${why}`); continue; }
          const sys = await def.start(ctx);
          running.push(sys);
          const users = ctx.users.slice(0, CONNECTIONS);
          headers.set(sys.name, sys.authenticates
            ? await loginAll((u) => sys.login(u), users)
            : users.map((_, i) => ({ cookie: `gatehouse=${'x'.repeat(60)}${String(i).padStart(4, '0')}` })));
        }
        const samples = new Map<string, Sample[]>(running.map((s) => [s.name, []]));
        for (let round = 0; round < ctx.rounds; round++) {
          for (const sys of running) {
            const fa = sys as Partial<RunningForwardAuth>;
            const groups: Record<string, () => number[]> = { [sys.name]: () => sys.pids() };
            if (fa.gatehousePids) groups['gatehouse process'] = () => fa.gatehousePids!();
            else if (sys.name === 'gatehouse') groups['gatehouse process'] = () => sys.pids();
            if (fa.nginxPids) groups['nginx processes'] = () => fa.nginxPids!();
            else if (sys.name === 'nginx') groups['nginx processes'] = () => sys.pids();
            const p = await phase({
              origin: sys.origin, warmupMs: ctx.warmupMs, durationMs: ctx.phaseMs, timeoutMs: 5000,
              streams: [{ name: 'reads', mode: 'closed', concurrency: CONNECTIONS, connections: CONNECTIONS,
                mix: [{ kind: 'get', weight: 1, request: { method: 'GET', path: PATH, headers: headers.get(sys.name)! } }] }],
            }, groups);
            const f = p.load.streams['reads']!;
            samples.get(sys.name)!.push({
              figures: f, cpuSystem: p.cpu.processes[sys.name] ?? NaN, cpuGatehouse: p.cpu.processes['gatehouse process'] ?? NaN,
              cpuNginx: p.cpu.processes['nginx processes'] ?? NaN, cpuMachine: p.cpu.machine, seconds: ctx.phaseMs / 1000,
            });
            ctx.log(`forward-auth round ${round + 1}/${ctx.rounds} ${sys.name}: ${fmt(f.total.acceptedPerS)} req/s, p99 ${fmt(f.total.latency.p99)} ms, ` +
              `non-2xx ${f.total.requests - f.total.status['2xx']}`);
          }
        }
        const med = (name: string, pick: (s: Sample) => number): number => median((samples.get(name) ?? []).map(pick));
        const tput = (name: string): number => med(name, (s) => s.figures.total.acceptedPerS);
        // CPU per request: percent of one core -> core-microseconds per second, divided by requests per second.
        const cpuPerRequestUs = (s: Sample, cpu: number): number => (cpu / 100) * 1e6 / s.figures.total.acceptedPerS;
        const nginxAlone = tput('nginx');
        const rows = running.map((sys) => {
          const all = samples.get(sys.name)!;
          const requests = all.reduce((a, s) => a + s.figures.total.requests, 0);
          const non2xx = all.reduce((a, s) => a + s.figures.total.requests - s.figures.total.status['2xx'], 0);
          const gh = med(sys.name, (s) => cpuPerRequestUs(s, s.cpuGatehouse));
          const ng = med(sys.name, (s) => cpuPerRequestUs(s, s.cpuNginx));
          return [
            sys.label, fmt(tput(sys.name)), Number.isFinite(nginxAlone) && nginxAlone > 0 ? pct(tput(sys.name) / nginxAlone, 0) : 'n/a',
            fmt(med(sys.name, (s) => s.figures.total.latency.p50)), fmt(med(sys.name, (s) => s.figures.total.latency.p99)),
            `${non2xx} / ${requests}`, Number.isFinite(gh) ? fmt(gh, 1) : '-', Number.isFinite(ng) ? fmt(ng, 1) : '-',
            `${fmt(med(sys.name, (s) => s.cpuMachine), 0)}%`,
          ];
        });
        if (samples.has('nginx-forward-auth') && samples.has('gatehouse')) {
          const fa = med('nginx-forward-auth', (s) => cpuPerRequestUs(s, s.cpuGatehouse));
          const px = med('gatehouse', (s) => cpuPerRequestUs(s, s.cpuGatehouse));
          notes.push(`Gatehouse CPU per request: ${fmt(fa, 1)} µs answering auth_request vs ${fmt(px, 1)} µs proxying (${fmt(fa / px)}x); ` +
            'in forward-auth mode nginx does the forwarding and Gatehouse only the check.');
        }
        return {
          name: 'forward-auth',
          summary: `Authenticated GET ${PATH}, ${CONNECTIONS} connections, closed loop: nginx alone, nginx with auth_request to Gatehouse, Gatehouse as the proxy; ` +
            `${ctx.rounds} alternating rounds of ${ctx.phaseMs / 1000} s (+${ctx.warmupMs / 1000} s warm-up); medians.`,
          settings: { connections: CONNECTIONS, path: PATH, rounds: ctx.rounds, phaseMs: ctx.phaseMs, warmupMs: ctx.warmupMs },
          tables: [{
            title: 'forward-auth: authenticated reads at saturation (64 connections)',
            header: ['system', 'req/s', 'vs nginx alone', 'p50 ms', 'p99 ms', 'non-2xx / requests', 'Gatehouse CPU µs/request', 'nginx CPU µs/request', 'machine CPU'],
            rows,
          }],
          targets: [], notes,
          raw: Object.fromEntries([...samples].map(([k, v]) => [k, v])),
        };
      } finally {
        for (const s of running) await s.stop();
      }
    },
};

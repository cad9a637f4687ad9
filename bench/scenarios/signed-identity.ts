// Scenario `signed-identity` (issue 17): the proxy scenario's authenticated reads through Gatehouse with the signed
// identity assertion on for the route against the same Gatehouse with it off, alternating, 64 connections, closed
// loop. With it on, each session's assertion is signed once and then served from the cache, so the target is >= 95%
// of the throughput with it off. Beside it, the signing rate of one core for ES256 and EdDSA (bench/lib/sign-rate.ts:
// one process, one WebCrypto pool thread, every call a cache miss): what a burst of new sessions costs.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StreamFigures } from '../load-generator.js';
import { gatehouse, type RunningGatehouse } from '../systems/gatehouse.js';
import { scrape, sum } from '../lib/prometheus.js';
import { fmt, median, phase, pct, type BenchContext, type Scenario, type ScenarioResult, type TargetCheck } from './common.js';

const CONNECTIONS = 64;
const PATH = '/api/items/42';
const SIGN_RATE = fileURLToPath(new URL('../lib/sign-rate.js', import.meta.url));

interface Sample { figures: StreamFigures; cpuOwn: number }
interface SignRate { alg: string; signatures: number; wallMs: number; cpuMs: number }

function signRate(alg: string, durationMs: number): SignRate {
  const run = spawnSync(process.execPath, [SIGN_RATE, alg, String(durationMs)], {
    encoding: 'utf8', timeout: durationMs + 30_000, env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
  });
  if (run.status !== 0) throw new Error(`sign-rate ${alg} failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as SignRate;
}

export const signedIdentityScenario: Scenario = {
  name: 'signed-identity',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    // Sessions minted straight into the store (no Argon2 logins to wait for): one per connection, so the assertion
    // cache holds one entry per session, as it would for 64 users.
    const variants = [
      { name: 'off', label: 'Gatehouse, assertion off', def: gatehouse({ preMintedSessions: CONNECTIONS }) },
      { name: 'on', label: 'Gatehouse, assertion on (ES256)', def: gatehouse({ preMintedSessions: CONNECTIONS, config: { signed_identity: { enabled: true } } }) },
    ];
    const running: { name: string; label: string; sys: RunningGatehouse; headers: Record<string, string>[] }[] = [];
    const notes: string[] = [];
    try {
      for (const v of variants) {
        const sys = await v.def.start(ctx) as RunningGatehouse;
        running.push({ name: v.name, label: v.label, sys, headers: sys.spareSessions });
      }
      const samples = new Map<string, Sample[]>(running.map((r) => [r.name, []]));
      for (let round = 0; round < ctx.rounds; round++) {
        for (const r of running) {
          const p = await phase({
            origin: r.sys.origin, warmupMs: ctx.warmupMs, durationMs: ctx.phaseMs, timeoutMs: 5000,
            streams: [{ name: 'reads', mode: 'closed', concurrency: CONNECTIONS, connections: CONNECTIONS,
              mix: [{ kind: 'get', weight: 1, request: { method: 'GET', path: PATH, headers: r.headers } }] }],
          }, { [r.name]: () => r.sys.pids() });
          const f = p.load.streams['reads']!;
          samples.get(r.name)!.push({ figures: f, cpuOwn: p.cpu.processes[r.name] ?? NaN });
          ctx.log(`signed-identity round ${round + 1}/${ctx.rounds} ${r.name}: ${fmt(f.total.acceptedPerS)} req/s, p99 ${fmt(f.total.latency.p99)} ms, ` +
            `non-2xx ${f.total.requests - f.total.status['2xx']}`);
        }
      }
      // Signatures made over the whole run, against requests served: the assertion cache at work.
      const signatures = new Map<string, number>();
      for (const r of running) signatures.set(r.name, sum(await scrape(r.sys.metricsUrl), 'gatehouse_identity_assertions_signed_total'));
      const med = (name: string, pick: (s: Sample) => number): number => median((samples.get(name) ?? []).map(pick));
      const tput = (name: string): number => med(name, (s) => s.figures.total.acceptedPerS);
      const rows = running.map((r) => {
        const all = samples.get(r.name)!;
        const requests = all.reduce((a, s) => a + s.figures.total.requests, 0);
        const non2xx = all.reduce((a, s) => a + s.figures.total.requests - s.figures.total.status['2xx'], 0);
        return [
          r.label, fmt(tput(r.name)), pct(tput(r.name) / tput('off'), 1), fmt(med(r.name, (s) => s.figures.total.latency.p50)),
          fmt(med(r.name, (s) => s.figures.total.latency.p99)), `${non2xx} / ${requests}`, `${fmt(med(r.name, (s) => s.cpuOwn), 0)}%`,
          `${fmt(signatures.get(r.name) ?? NaN)}`,
        ];
      });
      const ratio = tput('on') / tput('off');
      const targets: TargetCheck[] = [{
        scenario: 'signed-identity', target: 'throughput with the assertion on >= 95% of it off (cache hits sign nothing)',
        measured: `${pct(ratio)} (${fmt(tput('on'))} vs ${fmt(tput('off'))} req/s)`, met: ctx.quick ? null : ratio >= 0.95,
        ...(!ctx.quick && ratio < 0.95 ? { missBy: `${fmt(100 * (0.95 - ratio), 1)} points short` } : {}),
      }];
      if (ctx.quick) notes.push('quick run: phases too short to judge the target');

      const signMs = Math.min(ctx.phaseMs, 5000);
      const rates = ['ES256', 'EdDSA'].map((alg) => {
        const r = signRate(alg, signMs);
        ctx.log(`signed-identity sign rate ${alg}: ${fmt(r.signatures / (r.wallMs / 1000))} /s wall, ${fmt(r.signatures / (r.cpuMs / 1000))} per CPU-second`);
        return r;
      });
      return {
        name: 'signed-identity',
        summary: `Authenticated GET ${PATH} through Gatehouse with the signed identity assertion on vs off, ${CONNECTIONS} connections, closed loop; ` +
          `${ctx.rounds} alternating rounds of ${ctx.phaseMs / 1000} s (+${ctx.warmupMs / 1000} s warm-up); medians. Sign rate: one process, UV_THREADPOOL_SIZE=1, 16 in flight, every call a cache miss, ${signMs / 1000} s.`,
        settings: { connections: CONNECTIONS, path: PATH, rounds: ctx.rounds, phaseMs: ctx.phaseMs, warmupMs: ctx.warmupMs, signMs },
        tables: [{
          title: 'signed-identity: authenticated reads with the assertion on and off (64 connections)',
          header: ['system', 'req/s', 'vs off', 'p50 ms', 'p99 ms', 'non-2xx / requests', 'Gatehouse CPU (1 core = 100%)', 'signatures made (whole run)'],
          rows,
        }, {
          title: 'signed-identity: signing rate of one core (cache misses)',
          header: ['algorithm', 'signatures/s (wall)', 'signatures per CPU-second', 'CPU (1 core = 100%)'],
          rows: rates.map((r) => [r.alg, fmt(r.signatures / (r.wallMs / 1000)), fmt(r.signatures / (r.cpuMs / 1000)), `${fmt(100 * r.cpuMs / r.wallMs, 0)}%`]),
        }],
        targets, notes,
        raw: { samples: Object.fromEntries(samples), signRates: rates },
      };
    } finally {
      for (const r of running) await r.sys.stop();
    }
  },
};

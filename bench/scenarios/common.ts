/** What scenarios share: the run context, one measured phase (load + CPU), medians, and result shapes. */
import type { LoadJob, LoadResult, StreamFigures } from '../load-generator.js';
import { runLoad } from '../lib/load.js';
import { measureCpu, type CpuUse } from '../lib/cpu.js';
import type { BenchUser, StoreChoice, SystemContext, SystemDefinition } from '../systems/system.js';

export interface BenchContext extends SystemContext {
  quick: boolean;
  store: StoreChoice;
  upstreamPid: number;
  /** Warm-up and measured window of one phase, and how many times systems alternate. */
  warmupMs: number;
  phaseMs: number;
  rounds: number;
  /** The five systems side by side (plus the http-proxy forwarder), in alternation order. */
  systems: SystemDefinition[];
  /** Gatehouse is started with node --cpu-prof into this directory when set. */
  profileDir?: string;
  log(message: string): void;
}

export interface TargetCheck {
  scenario: string;
  target: string;
  measured: string;
  /** null: could not be judged in this run (system skipped, quick run...). */
  met: boolean | null;
  /** How far off a missed target is, in words. */
  missBy?: string;
}

export interface Table {
  title: string;
  header: string[];
  rows: (string | number)[][];
  note?: string;
}

export interface ScenarioResult {
  name: string;
  summary: string;
  settings: Record<string, unknown>;
  tables: Table[];
  targets: TargetCheck[];
  notes: string[];
  /** Every figure, raw, for results.json. */
  raw: unknown;
}

export interface Scenario {
  readonly name: string;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}

export interface PhaseResult {
  load: LoadResult;
  cpu: CpuUse;
}

/** Runs one load job while measuring CPU per process group over the job's measured window. */
export async function phase(job: LoadJob, groups: Record<string, () => number[]>,
  window: { start?(): void; end?(): void } = {}): Promise<PhaseResult> {
  let cpu: CpuUse | undefined;
  let generatorPid = 0;
  const all = { ...groups, 'load generator': () => [generatorPid] };
  let stopCpu: (() => CpuUse) | undefined;
  // `window` hears when the measured window starts and ends (after the warm-up), for readings that must cover it alone.
  const timers = [
    setTimeout(() => { stopCpu = measureCpu(all); window.start?.(); }, job.warmupMs + 80),
    setTimeout(() => { cpu = stopCpu?.(); window.end?.(); }, job.warmupMs + job.durationMs + 40),
  ];
  const load = await runLoad(job, (pid) => { generatorPid = pid; });
  for (const t of timers) clearTimeout(t);
  cpu ??= stopCpu?.() ?? { processes: {}, machine: NaN, cores: 0 };
  return { load, cpu };
}

export function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Formats a number for a table: integers with thousands separators, small numbers with 2-3 significant digits. */
export function fmt(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (Number.isInteger(x) && Math.abs(x) < 1000) return String(x);
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(digits);
}

export function pct(x: number, digits = 1): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(digits)}%` : 'n/a';
}

/** One stream's figures from a phase. */
export function stream(p: PhaseResult, name: string): StreamFigures {
  const s = p.load.streams[name];
  if (!s) throw new Error(`no stream ${name} in the load result`);
  return s;
}

/** Logs `count` users in through a system, `parallel` at a time; returns their session headers in order. */
export async function loginAll(login: (u: BenchUser) => Promise<Record<string, string>>, users: BenchUser[], parallel = 4): Promise<Record<string, string>[]> {
  const out: Record<string, string>[] = new Array(users.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, users.length) }, async () => {
    while (next < users.length) {
      const i = next++;
      out[i] = await login(users[i]!);
    }
  }));
  return out;
}

/** The bottleneck in words, from where the CPU went in a phase. */
export function bottleneck(cpu: CpuUse, system: string): string {
  const own = cpu.processes[system] ?? NaN;
  const gen = cpu.processes['load generator'] ?? NaN;
  const parts = Object.entries(cpu.processes).map(([k, v]) => `${k} ${fmt(v, 0)}%`).join(', ');
  let verdict: string;
  if (own >= 85) verdict = `${system} CPU (its one event-loop thread is busy ${fmt(own, 0)}% of a core)`;
  else if (cpu.machine >= 90) verdict = `machine CPU (${fmt(cpu.machine, 0)}% of ${cpu.cores} cores, shared with the generator and upstream)`;
  else if (gen >= 85) verdict = `load generator CPU (${fmt(gen, 0)}%)`;
  else verdict = `none (machine ${fmt(cpu.machine, 0)}% busy)`;
  return `${verdict}; CPU: ${parts}`;
}

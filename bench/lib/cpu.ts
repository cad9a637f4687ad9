/**
 * CPU use during a phase, from /proc (Linux): per process (user + system time) and for the whole machine, so each
 * result can say where the time went and name the bottleneck instead of guessing it.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const TICKS_PER_SECOND = 100; // USER_HZ; 100 on every Linux this runs on

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) counted from 1; after the ")" field 3 is at index 0.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return NaN;
  }
}

function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3]! + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export interface CpuUse {
  /** Percent of one core, per named process group. */
  processes: Record<string, number>;
  /** Percent of all cores busy, machine-wide. */
  machine: number;
  cores: number;
}

/** Starts measuring; call the returned function at the end of the phase. `groups` maps a name to the pids to sum. */
export function measureCpu(groups: Record<string, () => number[]>): () => CpuUse {
  const t0 = performance.now();
  const m0 = machineTicks();
  const p0 = Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, new Map(pids().map((p) => [p, processTicks(p)]))]));
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const m1 = machineTicks();
    const processes: Record<string, number> = {};
    for (const [name, before] of Object.entries(p0)) {
      let ticks = 0;
      for (const [pid, t] of before) {
        const now = processTicks(pid);
        if (Number.isFinite(now) && Number.isFinite(t)) ticks += now - t;
      }
      processes[name] = Math.round((1000 * ticks) / TICKS_PER_SECOND / seconds) / 10;
    }
    const machine = m1.total > m0.total ? Math.round((1000 * (m1.busy - m0.busy)) / (m1.total - m0.total)) / 10 : NaN;
    return { processes, machine, cores: availableParallelism() };
  };
}

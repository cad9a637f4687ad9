/** Parent side of the load generator: forks bench/load-generator.js for one job and returns its figures. */
import { execFileSync, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadJob, LoadResult } from '../load-generator.js';
import { noteCommand } from './processes.js';

const GENERATOR = fileURLToPath(new URL('../load-generator.js', import.meta.url));

/** Runs `job` in a fresh generator process; `onStarted` gets its pid (for CPU sampling). Kills it on a hang. */
export function runLoad(job: LoadJob, onStarted?: (pid: number) => void): Promise<LoadResult> {
  noteCommand(`node ${GENERATOR.slice(GENERATOR.indexOf('dist/'))} (forked; one job per process over IPC)`);
  return new Promise((resolve, reject) => {
    const child = fork(GENERATOR, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    const limit = job.warmupMs + job.durationMs + job.timeoutMs + 40_000;
    const timer = setTimeout(() => { child.kill('SIGKILL'); finish(new Error(`load generator hung past ${limit} ms`)); }, limit);
    function finish(err: Error | undefined, result?: LoadResult): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err); else resolve(result!);
    }
    child.once('message', (msg: { ok: boolean; result?: LoadResult; error?: string }) => {
      if (msg.ok) finish(undefined, msg.result); else finish(new Error(`load generator failed: ${msg.error}`));
    });
    child.once('exit', (code) => finish(new Error(`load generator exited (${code}) without a result`)));
    child.once('spawn', () => {
      if (child.pid !== undefined) {
        pinGenerator(child.pid, job);
        onStarted?.(child.pid);
      }
      child.send(job);
    });
  });
}

/**
 * With GATEHOUSE_BENCH_PIN_GENERATOR=<cpu list> (`npm run bench -- --pin-generator 1`), a generator running an
 * open-model stream is pinned to those CPUs with `taskset` (every thread), so it cannot compete with Gatehouse for
 * the other core: the figures then say how much of an open-phase collapse was the generator's. Closed phases are
 * left alone (a closed loop waits for answers; it does not decide its own rate).
 */
function pinGenerator(pid: number, job: LoadJob): void {
  const cpus = process.env['GATEHOUSE_BENCH_PIN_GENERATOR'];
  if (cpus === undefined || cpus === '' || !job.streams.some((s) => s.mode === 'open')) return;
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
  noteCommand(`taskset -a -p -c ${cpus} <generator pid> (open-model phases)`);
}

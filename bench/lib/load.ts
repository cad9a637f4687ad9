/** Parent side of the load generator: forks bench/load-generator.js for one job and returns its figures. */
import { fork } from 'node:child_process';
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
      if (child.pid !== undefined) onStarted?.(child.pid);
      child.send(job);
    });
  });
}

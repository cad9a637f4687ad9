/**
 * wrk (Debian's) as a closed-loop load generator: cheap on the shared cores (C, one thread), so at hundreds or
 * thousands of connections the generator does not decide the result the way a Node generator would. One run, parsed.
 *
 * Read its "timeout" count with care: wrk (4.x, src/wrk.c check_timeouts) counts, every 2 s, each connection whose
 * last request was *written* more than 2 s ago, whether or not a request is outstanding, so a connection still
 * waiting to connect, or one slower than 2 s across two checks, counts (again). It is a count of stalled connections
 * at 2 s checkpoints, not of requests.
 */
import { execFile } from 'node:child_process';
import { noteCommand } from './processes.js';

export interface WrkRun {
  requests: number;
  seconds: number;
  /** Responses per second, whatever their status. */
  perS: number;
  /** Responses with a status >= 400 ("Non-2xx or 3xx responses"). */
  non2xx: number;
  /** 2xx/3xx responses per second. */
  goodPerS: number;
  latencyMs: { p50: number; p75: number; p90: number; p99: number; max: number };
  socketErrors: { connect: number; read: number; write: number; timeout: number };
}

/** Whether wrk is installed (`.ci/install-system-packages.sh` installs it). */
export function wrkMissing(): Promise<boolean> {
  return new Promise((resolve) => execFile('wrk', ['--version'], (err) => resolve(err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT')));
}

function ms(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 'ms' ? v : m[2] === 's' ? v * 1000 : v * 60_000;
}

/** Parses wrk's --latency report. */
export function parseWrk(out: string, seconds: number): WrkRun {
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? 0);
  const pct = (p: string): number => ms(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  const requests = num(/(\d+) requests in/);
  const non2xx = num(/Non-2xx or 3xx responses: (\d+)/);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests, seconds, perS: requests / seconds, non2xx, goodPerS: (requests - non2xx) / seconds,
    latencyMs: { p50: pct('50'), p75: pct('75'), p90: pct('90'), p99: pct('99'), max: ms(/Latency\s+\S+\s+\S+\s+(\S+)/.exec(out)?.[1] ?? '') },
    socketErrors: {
      connect: Number(errors?.[1] ?? 0), read: Number(errors?.[2] ?? 0), write: Number(errors?.[3] ?? 0), timeout: Number(errors?.[4] ?? 0),
    },
  };
}

/** Runs `wrk -t1 -c<connections> -d<seconds>s --latency` against `url` with `headers`; bounded by its duration. */
export function runWrk(url: string, options: { connections: number; seconds: number; headers?: Record<string, string> }): Promise<WrkRun> {
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '2s', '--latency',
    ...Object.entries(options.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
  noteCommand(['wrk', ...args.map((a) => (a.includes(' ') ? `'${a.replace(/=.*/, '=...')}'` : a))].join(' '));
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (options.seconds + 30) * 1000, maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) reject(new Error(`wrk failed: ${err.message}`));
      else resolve(parseWrk(stdout, options.seconds));
    });
  });
}

/**
 * Child processes of a benchmark run: every one is registered here when spawned and killed (SIGTERM, then SIGKILL
 * after 3 s) by `stopAll`, which the orchestrator also calls on SIGINT/SIGTERM and on a failure. The exact command
 * line of each is kept for the report.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Every line the child printed on stdout and stderr so far (bounded to the last 200). */
  readonly lines: string[];
  stop(): Promise<void>;
}

const children = new Set<Child>();
const commands: string[] = [];

/** Command lines of every child started so far, in order (for the report). */
export function commandLines(): string[] {
  return [...commands];
}

/** Records a command line run another way (e.g. in-process work), for the report. */
export function noteCommand(line: string): void {
  if (!commands.includes(line)) commands.push(line);
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Spawns a child, keeping its output lines; it is killed by `stopAll` at the latest. */
export function startChild(name: string, command: string, args: string[], options: SpawnOptions = {}): Child {
  const proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  const envNote = Object.entries(options.env ?? {}).filter(([k]) => k === 'UV_THREADPOOL_SIZE').map(([k, v]) => `${k}=${v} `).join('');
  noteCommand(`${envNote}${[command === process.execPath ? 'node' : command, ...args].map(quote).join(' ')}`);
  if (proc.pid === undefined) throw new Error(`could not start ${name}`);
  const lines: string[] = [];
  for (const stream of [proc.stdout, proc.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (lines.length > 200) lines.shift();
    });
  }
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const child: Child = {
    name, proc, pid: proc.pid, lines,
    async stop() {
      children.delete(child);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
  children.add(child);
  return child;
}

/** Waits until a child prints a line matching `pattern` (returns the match), or fails after `timeoutMs`. */
export async function waitForLine(child: Child, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    for (const line of child.lines) {
      const m = pattern.exec(line);
      if (m) return m;
    }
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      throw new Error(`${child.name} exited before it was ready:\n${child.lines.slice(-20).join('\n')}`);
    }
    if (performance.now() > deadline) throw new Error(`${child.name} was not ready within ${timeoutMs} ms:\n${child.lines.slice(-20).join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Kills every child still running, but those whose pid is in `keep`. */
export async function stopAll(keep: number[] = []): Promise<void> {
  await Promise.all([...children].filter((c) => !keep.includes(c.pid)).map((c) => c.stop()));
}

/** A TCP port free on 127.0.0.1 right now (for programs that cannot listen on port 0 and report it, like nginx). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Child pids of a process (e.g. nginx's workers), from /proc. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

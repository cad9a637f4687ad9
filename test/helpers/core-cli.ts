// Runs the real `gatehouse` command (bin/gatehouse.js over dist/) as a child process, for behaviour that belongs to
// the process: exit codes, signals, stdout and stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { within } from './core-net.js';

/** bin/gatehouse.js of this checkout (this file runs from dist/test/helpers/). */
export const GATEHOUSE_BIN = fileURLToPath(new URL('../../../bin/gatehouse.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `gatehouse ...args` to completion (killed, and failed, after `timeoutMs`). */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string; input?: string } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [GATEHOUSE_BIN, ...args], {
    env: { ...process.env, ...options.env }, cwd: options.cwd, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return within(options.timeoutMs ?? 10_000, `gatehouse ${args.join(' ')}`, done).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
}

/** A temporary directory removed by `cleanup`. */
export function tempDir(prefix = 'gatehouse-core-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a YAML file (from an object, or text as is) and returns its path. */
export function writeYaml(path: string, content: Record<string, unknown> | string): string {
  writeFileSync(path, typeof content === 'string' ? content : stringify(content));
  return path;
}

/** A `gatehouse serve` child with its JSON log lines parsed as they arrive. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly adminPort: number;
  readonly logs: Record<string, unknown>[];
  readonly stderr: () => string;
  /** Resolves with the exit code and signal (bounded by `timeoutMs`). */
  exited(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits for a log line whose msg contains `text`, at or after index `from`. */
  waitForLog(text: string, timeoutMs: number, from?: number): Promise<Record<string, unknown>>;
  /** SIGKILLs the child if it still runs (cleanup). */
  kill(): void;
}

/** Starts `gatehouse serve --config file` and waits for "gatehouse is listening" to learn its ports. */
export async function startServe(configPath: string, timeoutMs = 10_000, signalOnListening?: NodeJS.Signals): Promise<ServeProcess> {
  const child = spawn(process.execPath, [GATEHOUSE_BIN, 'serve', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  child.stdout!.on('data', (c: Buffer) => {
    buffered += c.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
      // Sent from here, synchronously, so it lands as close as a supervisor can get to the announcement.
      if (signalOnListening !== undefined && String(logs.at(-1)!['msg']).includes('gatehouse is listening')) child.kill(signalOnListening);
    }
    for (const w of waiters) w();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const waitForLog = (text: string, ms: number, from = 0): Promise<Record<string, unknown>> => {
    const find = (): Record<string, unknown> | undefined => logs.slice(from).find((l) => String(l['msg'] ?? '').includes(text));
    return within(ms, `log line "${text}" (stderr: ${stderr.slice(-500)})`, new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = find();
        if (hit) {
          waiters.delete(check);
          resolve(hit);
        }
      };
      waiters.add(check);
      void exit.then(({ code }) => {
        if (!find()) reject(new Error(`gatehouse exited (${code}) before logging "${text}"; stderr: ${stderr}`));
      });
      check();
    }));
  };
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    const listening = await waitForLog('gatehouse is listening', timeoutMs);
    const ingress = listening['ingress'] as { port: number };
    const admin = listening['admin'] as { port: number };
    return {
      child, port: ingress.port, adminPort: admin.port, logs, stderr: () => stderr,
      exited: (ms) => within(ms, 'gatehouse to exit', exit), waitForLog, kill,
    };
  } catch (err) {
    kill();
    throw err;
  }
}

/**
 * The benchmark orchestrator: `npm run bench [-- --scenario NAME ...] [--store sqlite|postgres|mysql] [--quick]`.
 * Starts the shared upstream, runs each scenario (each starts and stops the systems it compares), then writes
 * RESULTS.md and results.json from the figures (bench/ for a full run of every scenario; otherwise a temporary
 * directory unless --out says where, so a partial or quick run never overwrites the published full run).
 *
 * Options: --scenario (repeatable; default all), --store (default sqlite), --quick (~2 s phases, one round: a smoke
 * test, figures not for publishing), --rounds N, --phase-seconds S, --out DIR, --profile (Gatehouse runs under
 * node --cpu-prof; profiles land in the output directory), --system NAME (repeatable: only these systems, e.g.
 * `--system gatehouse` for a quick before/after of Gatehouse alone; never in a published run), --pin-generator CPUS (the load generator
 * of open-model phases runs under `taskset -c CPUS`, e.g. 1, so it cannot take Gatehouse's core; its CPU is reported per phase).
 * Bounded: every phase ends by time, every child is killed at the end, on a signal, or when the whole run passes
 * its deadline (25 min full, 4 min quick).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hash } from '@node-rs/argon2';
import { commandLines, noteCommand, stopAll } from './lib/processes.js';
import { updateDocHeadline, writeReport, type RunReport } from './report.js';
import type { BenchContext, Scenario, ScenarioResult } from './scenarios/common.js';
import { proxyScenario } from './scenarios/proxy.js';
import { loginStormScenario } from './scenarios/login-storm.js';
import { storyMixScenario } from './scenarios/story-mix.js';
import { garbageTokensScenario } from './scenarios/garbage-tokens.js';
import { auditScenario } from './scenarios/audit.js';
import { signedIdentityScenario } from './scenarios/signed-identity.js';
import { forwardAuthScenario } from './scenarios/forward-auth.js';
import { connectionsScenario } from './scenarios/connections.js';
import { startUpstream, upstreamAlone } from './systems/upstream.js';
import { nginx, nginxVersion } from './systems/nginx.js';
import { undiciForwarder } from './systems/undici-forwarder.js';
import { httpProxyForwarder } from './systems/http-proxy-forwarder.js';
import { expressStack } from './systems/express-stack.js';
import { gatehouse } from './systems/gatehouse.js';
import { BENCH_PASSWORD, type BenchUser, type StoreChoice } from './systems/system.js';

export const SCENARIOS: Scenario[] = [proxyScenario, connectionsScenario, loginStormScenario, storyMixScenario, garbageTokensScenario, auditScenario, signedIdentityScenario, forwardAuthScenario];
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** OWASP's Argon2id parameters, the same Gatehouse uses by default (auth.hash). */
export const ARGON2 = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'absent';
  }
}

function git(args: string[]): string {
  try { return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return 'unknown'; }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', multiple: true },
      store: { type: 'string', default: 'sqlite' },
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      'phase-seconds': { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'boolean', default: false },
      system: { type: 'string', multiple: true },
      'pin-generator': { type: 'string' },
    },
    allowPositionals: false,
  });
  const store = values.store as StoreChoice;
  if (values['pin-generator'] !== undefined) process.env['GATEHOUSE_BENCH_PIN_GENERATOR'] = values['pin-generator'];
  if (!['sqlite', 'postgres', 'mysql'].includes(store)) throw new Error(`--store must be sqlite, postgres or mysql, not ${store}`);
  const names = values.scenario?.flatMap((s) => s.split(',')) ?? SCENARIOS.map((s) => s.name);
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const quick = values.quick;
  const full = !quick && names.length === SCENARIOS.length && values['phase-seconds'] === undefined && values.rounds === undefined &&
    values.system === undefined;
  const outDir = values.out ?? (full ? join(ROOT, 'bench') : mkdtempSync(join(tmpdir(), 'gatehouse-bench-out-')));
  const deadlineMs = (quick ? 4 : 25) * 60_000;
  const started = new Date();
  const t0 = performance.now();
  const tmpDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const log = (m: string): void => console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${m}`);

  const hardStop = setTimeout(() => {
    console.error(`bench: the run passed its ${deadlineMs / 60_000} min deadline; stopping every child`);
    void stopAll().finally(() => process.exit(2));
  }, deadlineMs);
  hardStop.unref();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => { void stopAll().finally(() => process.exit(130)); });
  }

  log(`bench: ${quick ? 'quick smoke run' : 'full run'} of ${names.join(', ')} on ${store}; output to ${outDir}`);
  const passwordHash = await hash(BENCH_PASSWORD, ARGON2);
  const users: BenchUser[] = Array.from({ length: quick ? 160 : 400 }, (_, i) => ({ email: `bench-user-${i}@example.com`, password: BENCH_PASSWORD }));
  const upstream = await startUpstream();
  const profileDir = values.profile ? join(outDir, 'profiles') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const ctx: BenchContext = {
    quick, store, tmpDir, users, passwordHash, upstreamUrl: upstream.origin, upstreamPid: upstream.pid,
    warmupMs: quick ? 300 : 1500,
    phaseMs: values['phase-seconds'] !== undefined ? Number(values['phase-seconds']) * 1000 : quick ? 1500 : 8000,
    rounds: values.rounds !== undefined ? Number(values.rounds) : quick ? 1 : 3,
    systems: [upstreamAlone(upstream), nginx, undiciForwarder, httpProxyForwarder, expressStack, gatehouse(profileDir ? { cpuProfileDir: profileDir } : {})]
      .filter((s) => values.system === undefined || values.system.includes(s.name)),
    ...(profileDir ? { profileDir } : {}),
    log,
  };
  const results: ScenarioResult[] = [];
  const failures: { scenario: string; error: string }[] = [];
  try {
    for (const name of names) {
      const scenario = SCENARIOS.find((s) => s.name === name)!;
      log(`== ${name}`);
      try {
        results.push(await scenario.run(ctx));
      } catch (err) {
        const error = String((err as Error)?.stack ?? err);
        failures.push({ scenario: name, error });
        log(`scenario ${name} failed: ${error}`);
      } finally {
        // A safety net: scenarios stop their systems themselves; the shared upstream stays.
        await stopAll([upstream.pid]).then(() => undefined, () => undefined);
      }
    }
  } finally {
    await upstream.stop();
    await stopAll();
  }
  noteCommand(`npm run bench --${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(' ')}` : ''}`);
  const report: RunReport = {
    startedAt: started.toISOString(),
    durationS: (performance.now() - t0) / 1000,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    options: { scenarios: names, store, quick, rounds: ctx.rounds, phaseMs: ctx.phaseMs, warmupMs: ctx.warmupMs },
    machine: {
      cores: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30),
      os: type(), kernel: release(), loadAverageAtStart: loadavg(),
    },
    versions: {
      node: process.version, gatehouse: `${versionOf('../')} ${git(['rev-parse', '--short', 'HEAD'])} (${git(['status', '--porcelain']).length > 0 ? 'with uncommitted changes' : 'clean'})`,
      nginx: nginxVersion() ?? 'not installed',
      ...Object.fromEntries(['undici', 'express', 'express-session', 'better-sqlite3-session-store', 'passport', 'passport-local',
        'http-proxy', 'http-proxy-middleware', 'better-sqlite3', '@node-rs/argon2', 'pg', 'mysql2'].map((p) => [p, versionOf(p)])),
    },
    commands: commandLines(),
    scenarios: results,
    failures,
  };
  const paths = writeReport(outDir, report);
  log(`wrote ${paths.markdown} and ${paths.json}`);
  if (full && values.out === undefined && updateDocHeadline(join(ROOT, 'docs', 'benchmarks.md'), report)) log('updated the headline in docs/benchmarks.md');
  rmSync(tmpDir, { recursive: true, force: true });
  return failures.length > 0 ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, async (err: unknown) => {
  console.error(err);
  await stopAll();
  process.exitCode = 1;
});

// Shared helpers of the chart, image and Prometheus tests: where the repository is, which external tools
// exist, and the chart renderer (test/tools/helm-render, a stand-in for `helm template`).
//
// External tools (go, promtool, prometheus, kubectl) come from Debian packages. Outside CI a missing tool
// skips its tests with a loud message; under CI=true it fails them, so CI cannot go green by skipping.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';

/** The repository root (tests run from dist/test/<dir>/). */
export const repoRoot = new URL('../../../', import.meta.url).pathname;
export const chartDir = join(repoRoot, 'charts', 'gatehouse');
export const valuesDir = join(repoRoot, 'test', 'chart', 'values');

/** The Debian package that provides each tool, for the messages. */
const packages: Record<string, string> = {
  go: 'golang-go golang-github-masterminds-sprig-dev golang-github-xeipuuv-gojsonschema-dev golang-github-ghodss-yaml-dev',
  promtool: 'prometheus',
  prometheus: 'prometheus',
  kubectl: 'kubectl',
};

/** Absolute path of a tool on PATH, or undefined. */
export function which(tool: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path !== '' ? path : undefined;
}

/**
 * Returns the tool's path, or skips the test (fails it under CI=true) when the tool is missing.
 * Returns undefined after skipping: the caller returns at once.
 */
export function requireTool(t: TestContext, tool: string): string | undefined {
  const path = which(tool);
  if (path !== undefined) return path;
  const message = `${tool} not found (Debian: apt-get install -y ${packages[tool] ?? tool})`;
  if (process.env.CI === 'true') throw new Error(`${message}; CI must have it`);
  console.warn(`\n!!! SKIPPING: ${message}\n`);
  t.skip(message);
  return undefined;
}

/** Runs a command with a time bound; throws with its output when it fails to start or times out. */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  return r;
}

let rendererPath: string | undefined;

/**
 * Builds test/tools/helm-render once per source version, cached under the OS temp dir by a hash of its
 * source and the Go version. Debian lays its Go libraries out as a GOPATH (/usr/share/gocode), so the
 * build runs in GOPATH mode with modules off.
 */
export function renderer(t: TestContext): string | undefined {
  if (rendererPath !== undefined) return rendererPath;
  const go = requireTool(t, 'go');
  if (go === undefined) return undefined;
  const srcDir = join(repoRoot, 'test', 'tools', 'helm-render');
  const hash = createHash('sha256');
  for (const name of readdirSync(srcDir).filter((n) => n.endsWith('.go')).sort()) hash.update(name).update(readFileSync(join(srcDir, name)));
  hash.update(run(go, ['version']).stdout);
  const cacheDir = join(tmpdir(), 'gatehouse-helm-render');
  const bin = join(cacheDir, `helm-render-${hash.digest('hex').slice(0, 16)}`);
  if (!existsSync(bin)) {
    mkdirSync(cacheDir, { recursive: true });
    const partial = `${bin}.${process.pid}.tmp`;
    const env = { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOFLAGS: '', GOCACHE: join(cacheDir, 'gocache') };
    const r = run(go, ['build', '-o', partial, '.'], { cwd: srcDir, env, timeoutMs: 300_000 });
    if (r.status !== 0) {
      throw new Error(`building the chart renderer failed (Debian: apt-get install -y ${packages.go}):\n${r.stderr}`);
    }
    renameSync(partial, bin);
  }
  rendererPath = bin;
  return bin;
}

// The loose shape of a rendered Kubernetes object, enough for assertions.
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [key: string]: any };

export interface Rendered {
  ok: boolean;
  stdout: string;
  stderr: string;
  docs: Manifest[];
  /** The one object of this kind (and name, when given); throws when there is not exactly one. */
  get(kind: string, name?: string): Manifest;
  all(kind: string): Manifest[];
}

let tmpCounter = 0;

/**
 * Renders the chart with the given values files (names under test/chart/values/, or absolute paths) and
 * inline values objects, in order (later wins). Returns undefined when the renderer is unavailable (skipped).
 */
export function renderChart(t: TestContext, values: Array<string | Record<string, unknown>>, opts: { chart?: string; namespace?: string; release?: string } = {}): Rendered | undefined {
  const bin = renderer(t);
  if (bin === undefined) return undefined;
  const args: string[] = ['--name', opts.release ?? 'demo', '--namespace', opts.namespace ?? 'apps'];
  for (const v of values) {
    if (typeof v === 'string') {
      args.push('-f', v.startsWith('/') ? v : join(valuesDir, v));
    } else {
      const dir = join(tmpdir(), 'gatehouse-chart-values');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `values-${process.pid}-${tmpCounter++}.yaml`);
      writeFileSync(file, stringify(v));
      args.push('-f', file);
    }
  }
  args.push(opts.chart ?? chartDir);
  const r = run(bin, args);
  const docs: Manifest[] = [];
  if (r.status === 0) {
    for (const doc of parseAllDocuments(r.stdout)) {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors.map((e) => e.message).join('; ')}\n${r.stdout}`);
      const js = doc.toJS() as Manifest | null;
      if (js !== null) docs.push(js);
    }
  }
  const all = (kind: string) => docs.filter((d) => d.kind === kind);
  return {
    ok: r.status === 0,
    stdout: r.stdout,
    stderr: r.stderr,
    docs,
    all,
    get(kind: string, name?: string) {
      const found = all(kind).filter((d) => name === undefined || d.metadata.name === name);
      if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}\n${r.stdout}${r.stderr}`);
      return found[0]!;
    },
  };
}

/** Every alert the chart defines; each has a firing and a quiet case in alerts.rules-test.yaml and a runbook. */
export const ALERTS = ['GatehouseHashPoolSaturated', 'GatehouseAuditQueueNearCapacity', 'GatehouseAuditEventsDropped', 'GatehouseLoadShedding',
  'GatehouseHigh5xxRate', 'GatehouseConfigReloadFailed', 'GatehouseConfigNotApplied', 'GatehouseReadinessFlapping', 'GatehouseNotReady',
  'GatehouseTargetDown', 'GatehouseAbsent', 'GatehouseStoreUnreachable', 'GatehouseUpstreamErrors', 'GatehouseLatencyObjective',
  'GatehouseChangeFeedErrors', 'GatehouseWebhookBacklog', 'GatehouseWebhookDeliveriesFailing'];

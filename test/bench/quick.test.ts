// Smoke test of the benchmark harness: `node dist/bench/run.js --quick` for every scenario, into a temporary
// directory. It asserts that the run finished and produced figures for every scenario, never how fast anything was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));
const SCENARIOS = ['proxy', 'connections', 'login-storm', 'story-mix', 'garbage-tokens', 'audit', 'signed-identity', 'forward-auth'];

test('npm run bench -- --quick runs every scenario and writes figures', { timeout: 240_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'gh-bench-quick-'));
  try {
    const run = spawnSync(process.execPath, [RUN, '--quick', '--out', out], { encoding: 'utf8', timeout: 230_000, killSignal: 'SIGTERM' });
    assert.equal(run.status, 0, `bench --quick failed (${run.status} ${run.signal}):\n${run.stdout}\n${run.stderr}`);
    const md = join(out, 'RESULTS.md');
    assert.ok(existsSync(md), 'RESULTS.md written');
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as {
      machine: { cores: number; cpuModel: string }; versions: Record<string, string>; commands: string[]; failures: unknown[];
      scenarios: { name: string; tables: { rows: unknown[][] }[]; raw: unknown }[];
    };
    assert.deepEqual(results.failures, []);
    assert.ok(results.machine.cores > 0 && results.machine.cpuModel.length > 0);
    assert.ok(results.versions['node']?.startsWith('v'));
    assert.ok(results.commands.some((c) => c.includes('bin/gatehouse.js serve')), 'Gatehouse started as a user runs it');
    assert.deepEqual(results.scenarios.map((s) => s.name), SCENARIOS);
    for (const s of results.scenarios) {
      assert.ok(s.tables.length > 0 && s.tables.every((t) => t.rows.length > 0), `${s.name} produced tables`);
      assert.ok(s.raw !== undefined, `${s.name} kept its raw figures`);
    }
    const proxy = results.scenarios.find((s) => s.name === 'proxy')!;
    // upstream, (nginx when installed), two forwarders, the express stack and Gatehouse: a row each, with a req/s figure.
    assert.ok(proxy.tables[0]!.rows.length >= 5);
    for (const row of proxy.tables[0]!.rows) assert.match(String(row[1]), /^[\d,.]+$/, `a throughput figure for ${String(row[0])}`);
    assert.match(readFileSync(md, 'utf8'), /story: optimized, saturation/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

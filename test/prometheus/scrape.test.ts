// A real scrape: Debian's Prometheus on 127.0.0.1 scrapes a running Gatehouse's admin port every second
// while a small load runs through the proxy; the test then asks Prometheus's HTTP API whether the target is
// up and the series are there with sane values. `promtool check metrics` lints Gatehouse's exposition.
// Everything listens on 127.0.0.1 on free ports; every wait is bounded.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { repoRoot, requireTool, run } from '../chart/chart-tools.js';

const children: ChildProcess[] = [];
const servers: Server[] = [];
const work = mkdtempSync(join(tmpdir(), 'gatehouse-scrape-'));

after(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      if ((await Promise.race([exited, sleep(30_000, 'timeout', { ref: false })])) === 'timeout') child.kill('SIGKILL');
    }
  }
  for (const s of servers) s.close();
  rmSync(work, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

function start(cmd: string, args: string[], name: string): ChildProcess {
  const child = spawn(cmd, args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (b: Buffer) => { log = (log + b.toString()).slice(-20_000); });
  child.stderr!.on('data', (b: Buffer) => { log = (log + b.toString()).slice(-20_000); });
  child.on('exit', (code, signal) => { if (code !== 0 && signal === null) console.error(`${name} exited ${code}:\n${log}`); });
  Object.defineProperty(child, 'log', { get: () => log });
  children.push(child);
  return child;
}

/** Polls fn until it returns a value other than undefined, or fails after ms. */
async function waitFor<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(250);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

type Sample = { metric: Record<string, string>; value: [number, string] };
async function query(promPort: number, expr: string): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as { status: string; data: { result: Sample[] } };
  assert.equal(body.status, 'success', `query ${expr}`);
  return body.data.result;
}

test('Prometheus scrapes a running Gatehouse: target up, series present and sane', { timeout: 120_000 }, async (t) => {
  const prometheus = requireTool(t, 'prometheus');
  if (!prometheus) return;
  const promtool = requireTool(t, 'promtool');
  if (!promtool) return;
  assert.ok(existsSync(join(repoRoot, 'bin', 'gatehouse.js')), 'bin/gatehouse.js exists');

  // The app behind Gatehouse.
  const upstream = createServer((_req, res) => res.end('hello from upstream\n'));
  servers.push(upstream);
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamPort = (upstream.address() as { port: number }).port;
  const [proxyPort, adminPort, promPort] = [await freePort(), await freePort(), await freePort()];

  const configFile = join(work, 'gatehouse.yaml');
  writeFileSync(configFile, stringify({
    server: { listen: `127.0.0.1:${proxyPort}`, public_url: `http://127.0.0.1:${proxyPort}`, drain_delay: '0s', grace_period: '2s' },
    admin: { listen: `127.0.0.1:${adminPort}` },
    logging: { level: 'warn' },
    reload: { watch: false },
    upstreams: { app: { url: `http://127.0.0.1:${upstreamPort}` } },
    routes: [{ name: 'public', match: { path: '/' }, policy: 'public', upstream: 'app' }],
    storage: { driver: 'sqlite', sqlite: { path: join(work, 'data', 'gatehouse.db') } },
  }));
  const gatehouse = start(process.execPath, [join(repoRoot, 'bin', 'gatehouse.js'), 'serve', '--config', configFile], 'gatehouse');
  await waitFor('Gatehouse /readyz', 30_000, async () => {
    assert.equal(gatehouse.exitCode, null, `gatehouse exited: ${(gatehouse as unknown as { log: string }).log}`);
    const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`, { signal: AbortSignal.timeout(1_000) });
    return res.status === 200 ? true : undefined;
  });

  // promtool lints the exposition format (names, types, help, suffixes).
  const exposition = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  // prom-client's default Node metrics name three gauges *_total; those are its, known and tolerated. Any
  // other finding (all of Gatehouse's own metrics) fails.
  const tolerated = new Set(['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']);
  const lint = run(promtool, ['check', 'metrics'], { input: exposition });
  const problems = `${lint.stdout}${lint.stderr}`.split('\n').filter((l) => l.trim() !== '' && !tolerated.has(l.split(' ')[0]!));
  assert.deepEqual(problems, [], 'promtool check metrics');
  assert.ok(lint.status === 0 || problems.length === 0);
  // Families with at least one sample (a labelled family that has seen no event yet has only HELP/TYPE).
  const families = [...new Set([...exposition.matchAll(/^# TYPE (gatehouse_\w+) /gm)].map((m) => m[1]!))]
    .filter((f) => new RegExp(`^${f}(_bucket|_sum|_count)?[{ ]`, 'm').test(exposition));
  assert.ok(families.length > 0, 'Gatehouse exposes gatehouse_* metrics');

  writeFileSync(join(work, 'prometheus.yml'), stringify({
    global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
    scrape_configs: [{ job_name: 'gatehouse', static_configs: [{ targets: [`127.0.0.1:${adminPort}`], labels: { namespace: 'apps', pod: 'gatehouse-0' } }] }],
  }));
  start(prometheus, [
    `--config.file=${join(work, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(work, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    '--log.level=warn',
  ], 'prometheus');

  // A small load through the proxy while Prometheus scrapes.
  let loading = true;
  let sent = 0;
  const load = (async () => {
    while (loading) {
      await Promise.all(Array.from({ length: 5 }, async () => {
        const res = await fetch(`http://127.0.0.1:${proxyPort}/hello`, { signal: AbortSignal.timeout(5_000) });
        await res.text();
        sent++;
      }));
      await sleep(20);
    }
  })();

  try {
    await waitFor('the target to be up', 45_000, async () => {
      const up = await query(promPort, 'up{job="gatehouse"}');
      return up.length === 1 && up[0]!.value[1] === '1' ? true : undefined;
    });
    // A few scrapes with traffic in them.
    await waitFor('request counts in Prometheus', 30_000, async () => {
      const r = await query(promPort, 'sum(gatehouse_http_requests_total{job="gatehouse"})');
      return r.length === 1 && Number(r[0]!.value[1]) > 0 ? true : undefined;
    });
  } finally {
    loading = false;
    await load;
  }
  assert.ok(sent > 0);

  // Every gatehouse_* family Gatehouse exposes reached Prometheus.
  for (const family of families) {
    const r = await query(promPort, `count({__name__=~"${family}(_bucket|_sum|_count|_total)?", job="gatehouse"})`);
    assert.equal(r.length, 1, `${family} scraped`);
  }
  const ready = await query(promPort, 'gatehouse_ready{job="gatehouse"}');
  assert.equal(ready[0]?.value[1], '1', 'gatehouse_ready is 1');
  const ok = await query(promPort, 'sum(gatehouse_http_requests_total{job="gatehouse",code="200"})');
  assert.ok(Number(ok[0]?.value[1]) > 0, 'successful proxied requests counted');

  // Sane values of the series the alerts rest on, asserted whenever Gatehouse exports them (they arrive with
  // the hash pool and audit writer).
  if (families.includes('gatehouse_hash_pool_saturation')) {
    const sat = await query(promPort, 'gatehouse_hash_pool_saturation{job="gatehouse"}');
    assert.equal(sat.length, 1, 'one hash pool saturation series');
    const v = Number(sat[0]!.value[1]);
    assert.ok(v >= 0 && v <= 1, `hash pool saturation ${v} within [0, 1]`);
    const size = await query(promPort, 'gatehouse_hash_pool_size{job="gatehouse"}');
    assert.ok(Number(size[0]?.value[1]) >= 1, 'hash pool has at least one slot');
  } else {
    t.diagnostic('gatehouse_hash_pool_saturation not exported yet: its checks did not run');
  }
  if (families.includes('gatehouse_audit_queue_depth')) {
    const depth = await query(promPort, 'gatehouse_audit_queue_depth{job="gatehouse"}');
    const cap = await query(promPort, 'gatehouse_audit_queue_capacity{job="gatehouse"}');
    assert.equal(depth.length, 1, 'one audit queue depth series');
    const d = Number(depth[0]!.value[1]);
    assert.ok(d >= 0 && d <= Number(cap[0]?.value[1]), `audit queue depth ${d} within [0, capacity]`);
  } else {
    t.diagnostic('gatehouse_audit_queue_depth not exported yet: its checks did not run');
  }
});

// Reload without restart, in-process: the file watcher (plain writes and a Kubernetes ConfigMap symlink swap),
// a refused bad file, the reload metric, and in-flight requests finishing on the table they started with.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { buildApp } from '../../src/app.js';
import { createLogger } from '../../src/log/logger.js';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../src/config/index.js';
import { configSchema } from '../../src/config/schema.js';
import { LIVE_SETTINGS, RESTART_SETTINGS } from '../../src/config/reload-plan.js';
import {
  configObject, eventually, sample, scrape, send, startGatehouse, startUpstream, within, type RunningGatehouse, type TestUpstream,
} from '../helpers/core-net.js';
import { tempDir } from '../helpers/core-cli.js';

const WATCH = { watch: true, debounce: '50ms' };

function routes(...names: string[]): unknown[] {
  return names.map((n) => ({ name: n, match: { path: `/${n}/` }, policy: 'public', upstream: 'app' }));
}

async function reloads(gh: RunningGatehouse, result: 'success' | 'failure'): Promise<number> {
  return sample(await scrape(gh.adminPort), 'gatehouse_config_reloads_total', { result }) ?? 0;
}

describe('reload: the file watcher', () => {
  let upstream: TestUpstream;
  const tmp = tempDir();
  before(async () => { upstream = await startUpstream('app'); });
  after(async () => {
    await upstream.close();
    tmp.cleanup();
  });

  test('a good change swaps the table and counts a success; a bad one is refused, counted, and the old table stays', { timeout: 20_000 }, async () => {
    const file = join(tmp.dir, 'plain.yaml');
    writeFileSync(file, stringify(configObject({ app: upstream.url }, routes('one'), { reload: WATCH })));
    const gh = await startGatehouse(loadConfigFile(file, {}), { configPath: file, env: {} });
    try {
      assert.equal((await send(gh.port, { path: '/one/' })).status, 200);
      assert.equal((await send(gh.port, { path: '/two/' })).status, 404);
      assert.equal(await reloads(gh, 'success'), 0);

      writeFileSync(file, stringify(configObject({ app: upstream.url }, routes('one', 'two'), { reload: WATCH })));
      await eventually(5000, 'the new route /two/ to answer 200', async () => (await send(gh.port, { path: '/two/' })).status === 200);
      assert.equal(await reloads(gh, 'success'), 1);
      assert.equal(await reloads(gh, 'failure'), 0);

      writeFileSync(file, 'upstreams: { app: { url: "ftp://nope" } }\nroutes: [{ name: x, policy: maybe }]\n');
      await eventually(5000, 'a failed reload to be counted', async () => (await reloads(gh, 'failure')) === 1);
      assert.equal((await send(gh.port, { path: '/one/' })).status, 200, 'the old table stays after a bad file');
      assert.equal((await send(gh.port, { path: '/two/' })).status, 200);
      assert.equal(await reloads(gh, 'success'), 1);
    } finally {
      await gh.close();
    }
  });

  test('a Kubernetes ConfigMap update (atomic swap of the ..data symlink) is picked up', { timeout: 20_000 }, async () => {
    const dir = join(tmp.dir, 'configmap');
    mkdirSync(join(dir, '..2026_01_01_00_00_00.000000001'), { recursive: true });
    writeFileSync(join(dir, '..2026_01_01_00_00_00.000000001', 'gatehouse.yaml'),
      stringify(configObject({ app: upstream.url }, routes('before'), { reload: WATCH })));
    symlinkSync('..2026_01_01_00_00_00.000000001', join(dir, '..data'));
    symlinkSync('..data/gatehouse.yaml', join(dir, 'gatehouse.yaml'));
    const file = join(dir, 'gatehouse.yaml');
    const gh = await startGatehouse(loadConfigFile(file, {}), { configPath: file, env: {} });
    try {
      assert.equal((await send(gh.port, { path: '/before/' })).status, 200);
      assert.equal((await send(gh.port, { path: '/after/' })).status, 404);
      // What the kubelet does: write a new timestamped directory, point a temporary link at it, rename it over ..data.
      mkdirSync(join(dir, '..2026_01_01_00_01_00.000000002'));
      writeFileSync(join(dir, '..2026_01_01_00_01_00.000000002', 'gatehouse.yaml'),
        stringify(configObject({ app: upstream.url }, routes('after'), { reload: WATCH })));
      symlinkSync('..2026_01_01_00_01_00.000000002', join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      await eventually(5000, 'the swapped config to take effect', async () => (await send(gh.port, { path: '/after/' })).status === 200);
      assert.equal((await send(gh.port, { path: '/before/' })).status, 404);
      assert.equal(await reloads(gh, 'success'), 1);
    } finally {
      await gh.close();
    }
  });
});

describe('reload: in-flight requests', () => {
  let slowOld: TestUpstream;
  let fresh: TestUpstream;
  const tmp = tempDir();
  before(async () => {
    slowOld = await startUpstream('old', (req, res) => {
      req.resume();
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('old-');
        setTimeout(() => res.end('table'), 200);
      }, 600);
    });
    fresh = await startUpstream('new');
  });
  after(async () => {
    await slowOld.close();
    await fresh.close();
    tmp.cleanup();
  });

  test('a slow request started before a reload completes on the old table; new requests use the new one', { timeout: 15_000 }, async () => {
    const file = join(tmp.dir, 'inflight.yaml');
    writeFileSync(file, stringify(configObject({ app: slowOld.url }, [{ name: 'slow', match: { path: '/slow' }, policy: 'public', upstream: 'app' }])));
    const gh = await startGatehouse(loadConfigFile(file, {}), { configPath: file, env: {} });
    try {
      const inFlight = send(gh.port, { path: '/slow' });
      await eventually(3000, 'the old upstream to get the request', () => slowOld.requests.length === 1);
      // Same upstream name, new URL (so the old pool is retired), and the route now needs a session.
      writeFileSync(file, stringify(configObject({ app: fresh.url }, [{ name: 'slow', match: { path: '/slow' }, policy: 'authenticated', upstream: 'app' },
        { name: 'open', match: { path: '/open' }, policy: 'public', upstream: 'app' }])));
      assert.equal(await within(3000, 'reload', gh.app.reload()), true);
      const answer = await inFlight;
      assert.equal(answer.status, 200);
      assert.equal(answer.body, 'old-table');
      assert.equal((await send(gh.port, { path: '/slow' })).status, 401, 'new requests are judged by the new table');
      const open = await send(gh.port, { path: '/open' });
      assert.equal(open.status, 200);
      assert.equal(JSON.parse(open.body).upstream, 'new');
      assert.equal(slowOld.requests.length, 1);
    } finally {
      await gh.close();
    }
  });

  test('reload() without a config path is refused (nothing to re-read)', async () => {
    const file = join(tmp.dir, 'nopath.yaml');
    writeFileSync(file, stringify(configObject({ app: fresh.url }, routes('x'))));
    const gh = await startGatehouse(loadConfigFile(file, {}));
    try {
      assert.equal(await gh.app.reload(), false);
    } finally {
      await gh.close();
    }
  });
});

describe('reload: applied live, or refused naming what needs a restart', () => {
  let upstream: TestUpstream;
  const tmp = tempDir();
  before(async () => { upstream = await startUpstream('app'); });
  after(async () => {
    await upstream.close();
    tmp.cleanup();
  });

  const sha256Of = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

  test('live settings (routes, trusted proxies, log level) apply; the hash and last-success metrics follow', { timeout: 15_000 }, async () => {
    const file = join(tmp.dir, 'live.yaml');
    writeFileSync(file, stringify(configObject({ app: upstream.url }, routes('one'))));
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } }));
    const app = await buildApp({ config: loadConfigFile(file, {}), configPath: file, configSha256: sha256Of(file), env: {}, logger, store: 'none',
      listen: { ingress: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } } });
    const { admin } = await app.start();
    try {
      const before = await scrape(admin.port);
      assert.equal(sample(before, 'gatehouse_config_info', { sha256: sha256Of(file) }), 1, 'the loaded file is in force');
      assert.equal(sample(before, 'gatehouse_config_last_reload_success'), 1);
      for (const result of ['success', 'failure', 'restart_required']) assert.equal(sample(before, 'gatehouse_config_reloads_total', { result }), 0);

      writeFileSync(file, stringify({ ...configObject({ app: upstream.url }, routes('one', 'two'), { server: { trusted_proxies: ['10.0.0.0/8'] } }), logging: { level: 'debug' } }));
      assert.equal(await app.reload(), true);
      assert.equal(logger.level, 'debug', 'the log level applies at once');
      assert.deepEqual(app.current().config.server.trusted_proxies, ['10.0.0.0/8']);
      assert.equal(app.current().routes !== undefined && app.current().config.routes.length, 2);
      const after = await scrape(admin.port);
      assert.equal(sample(after, 'gatehouse_config_info', { sha256: sha256Of(file) }), 1, 'the new file is in force');
      assert.equal((after.match(/^gatehouse_config_info\{/gm) ?? []).length, 1, 'one hash at a time');
      assert.equal(sample(after, 'gatehouse_config_reloads_total', { result: 'success' }), 1);
      assert.equal(sample(after, 'gatehouse_config_last_reload_success'), 1);
      assert.ok(lines.some((l) => l['msg'] === 'configuration reloaded' && l['sha256'] === sha256Of(file)));
    } finally {
      await app.abort();
    }
  });

  test('a change to a restart-only setting refuses the whole reload, loudly, and names each setting', { timeout: 15_000 }, async () => {
    const file = join(tmp.dir, 'restart.yaml');
    const base = configObject({ app: upstream.url }, routes('one'));
    writeFileSync(file, stringify(base));
    const loadedSha = sha256Of(file);
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } }));
    const app = await buildApp({ config: loadConfigFile(file, {}), configPath: file, configSha256: loadedSha, env: {}, logger, store: 'none',
      listen: { ingress: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } } });
    const { ingress, admin } = await app.start();
    try {
      // A new route (live) together with three settings bound at start: nothing of it may apply.
      writeFileSync(file, stringify({
        ...base, routes: routes('one', 'two'),
        admin: { listen: '127.0.0.1:0' }, storage: { driver: 'sqlite', sqlite: { path: join(tmp.dir, 'other.db') } },
        auth: { local: { registration: 'open' } }, sessions: { cookie: { name: 'other_session', secure: false } },
      }));
      assert.equal(await app.reload(), false);
      assert.equal((await send(ingress.port, { path: '/two/' })).status, 404, 'not even the live part applied');
      const refused = lines.find((l) => String(l['msg']).startsWith('configuration reload refused'));
      assert.ok(refused, 'a log line says the reload was refused');
      assert.equal(refused['level'], 50, 'at error level');
      assert.deepEqual(refused['restartRequired'], ['auth.local.registration', 'sessions.cookie.name', 'sessions.cookie.secure', 'storage.sqlite.path']);
      const metrics = await scrape(admin.port);
      assert.equal(sample(metrics, 'gatehouse_config_reloads_total', { result: 'restart_required' }), 1);
      assert.equal(sample(metrics, 'gatehouse_config_reloads_total', { result: 'success' }), 0);
      assert.equal(sample(metrics, 'gatehouse_config_last_reload_success'), 0);
      assert.equal(sample(metrics, 'gatehouse_config_info', { sha256: loadedSha }), 1, 'the running file is still the one in force');

      // Back to a live-only change: applied again, and last success is 1 again.
      writeFileSync(file, stringify({ ...base, routes: routes('one', 'two') }));
      assert.equal(await app.reload(), true);
      assert.equal((await send(ingress.port, { path: '/two/' })).status, 200);
      assert.equal(sample(await scrape(admin.port), 'gatehouse_config_last_reload_success'), 1);

      writeFileSync(file, 'routes: [{ name: x, policy: maybe }]\n');
      assert.equal(await app.reload(), false);
      const failed = await scrape(admin.port);
      assert.equal(sample(failed, 'gatehouse_config_reloads_total', { result: 'failure' }), 1);
      assert.equal(sample(failed, 'gatehouse_config_last_reload_success'), 0);
    } finally {
      await app.abort();
    }
  });
});

test('every setting is classified: applied live or needing a restart (a new section must choose)', () => {
  const shape = (configSchema as unknown as { shape: Record<string, { unwrap?: () => unknown }> }).shape;
  const classified = [...LIVE_SETTINGS, ...RESTART_SETTINGS];
  for (const key of Object.keys(shape)) {
    if (key === 'server') continue;
    assert.ok(classified.includes(key) || classified.some((c) => c.startsWith(`${key}.`)), `top-level "${key}" is classified`);
  }
  const server = Object.keys(configSchema.shape.server.unwrap().shape);
  for (const key of server) assert.ok(classified.includes(`server.${key}`), `server.${key} is classified`);
  const logging = Object.keys(configSchema.shape.logging.unwrap().shape);
  for (const key of logging) assert.ok(classified.includes(`logging.${key}`), `logging.${key} is classified`);
});

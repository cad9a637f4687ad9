// Reload without restart, in-process: the file watcher (plain writes and a Kubernetes ConfigMap symlink swap),
// a refused bad file, the reload metric, and in-flight requests finishing on the table they started with.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../src/config/index.js';
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

// The audit actor's promise, through the real process: events recorded, then SIGTERM, and every one of them is in
// the database after the process exits (the writer flushes its queue before exit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { send, startUpstream } from '../helpers/core-net.js';
import { startServe, tempDir, writeYaml } from '../helpers/core-cli.js';
import { openStore } from '../../src/store/index.js';
import { storageSchema } from '../../src/store/config-schema.js';
import { silentLogger } from '../../src/log/logger.js';

test('N failed logins, then SIGTERM: all N audit events are in the database after exit', async () => {
  const tmp = tempDir('gatehouse-audit-');
  const upstream = await startUpstream('app');
  const dbPath = join(tmp.dir, 'gatehouse.db');
  const config = writeYaml(join(tmp.dir, 'gatehouse.yaml'), {
    server: { listen: '127.0.0.1:0', public_url: 'http://127.0.0.1', drain_delay: '0s', grace_period: '5s' },
    admin: { listen: '127.0.0.1:0' },
    reload: { watch: false },
    upstreams: { app: { url: upstream.url } },
    routes: [{ name: 'public', match: { path: '/' }, policy: 'public', upstream: 'app' }],
    storage: { driver: 'sqlite', sqlite: { path: dbPath } },
    // A long flush interval and a big batch: nothing is written before the stop unless the stop flushes it.
    audit: { flush_interval: '1h', batch_size: 10000 },
    auth: { throttle: { max_failures_per_account: 1000, max_failures_per_ip: 1000 } },
    logging: { level: 'info' },
  });
  const serve = await startServe(config);
  try {
    const N = 25;
    for (let i = 0; i < N; i++) {
      const res = await send(serve.port, { method: 'POST', path: '/.gatehouse/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `ghost${i}@example.com`, password: 'not a real password' }) });
      assert.equal(res.status, 401);
    }
    serve.child.kill('SIGTERM');
    const { code } = await serve.exited(20_000);
    assert.equal(code, 0);
    const store = await openStore(storageSchema.parse({ driver: 'sqlite', sqlite: { path: dbPath } }), { logger: silentLogger() });
    try {
      const page = await store.audit.list({ action: 'user.login', limit: 500 });
      assert.equal(page.items.length, N);
      assert.ok(page.items.every((e) => (e.data as { result: string }).result === 'failure'));
      assert.ok(page.items.every((e) => !JSON.stringify(e.data).includes('not a real password')), 'the password is never recorded');
    } finally {
      await store.close();
    }
  } finally {
    serve.kill();
    await upstream.close();
    tmp.cleanup();
  }
});

// Issue 12 §3: the admin listener (metrics, health) bound 0.0.0.0 by default. Outside Kubernetes it now defaults to
// loopback; in a pod (KUBERNETES_SERVICE_HOST set) to 0.0.0.0, which the chart also sets explicitly; the start-up
// log names the bind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { parseConfigText } from '../../src/config/index.js';
import { buildApp } from '../../src/app.js';
import { createLogger } from '../../src/log/logger.js';
import { within } from '../helpers/core-net.js';

const MINIMAL = 'upstreams: { app: { url: "http://127.0.0.1:9" } }\nroutes: [{ name: all, match: { path: "/" }, policy: public, upstream: app }]\n';

test('admin.listen defaults to 127.0.0.1:4181 outside Kubernetes and 0.0.0.0:4181 inside; an explicit value wins', () => {
  assert.deepEqual({ ...parseConfigText(MINIMAL, {}).admin.listen }, { host: '127.0.0.1', port: 4181 });
  const k8s = { KUBERNETES_SERVICE_HOST: '10.96.0.1' };
  assert.deepEqual({ ...parseConfigText(MINIMAL, k8s).admin.listen }, { host: '0.0.0.0', port: 4181 });
  assert.deepEqual({ ...parseConfigText(`${MINIMAL}admin: {}\n`, k8s).admin.listen }, { host: '0.0.0.0', port: 4181 });
  assert.deepEqual({ ...parseConfigText(`${MINIMAL}admin: { listen: "127.0.0.1:4999" }\n`, k8s).admin.listen }, { host: '127.0.0.1', port: 4999 });
  assert.deepEqual({ ...parseConfigText(`${MINIMAL}admin: { listen: "0.0.0.0:4999" }\n`, {}).admin.listen }, { host: '0.0.0.0', port: 4999 });
});

test('the start-up log names the admin bind and whether it is loopback only', async () => {
  const lines: string[] = [];
  const out = new PassThrough();
  out.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  const config = parseConfigText(`${MINIMAL}server: { listen: "127.0.0.1:0" }\nadmin: { listen: "127.0.0.1:0" }\nreload: { watch: false }\n`, {});
  const app = await buildApp({ config, logger: createLogger('info', out), store: 'none' });
  const { admin } = await within(10_000, 'start', app.start());
  await within(15_000, 'stop', app.stop());
  const listening = lines.map((l) => JSON.parse(l) as { msg: string; admin_bind?: string }).find((l) => l.msg.startsWith('gatehouse is listening'));
  assert.ok(listening, `a listening line in ${lines.join('\n')}`);
  assert.equal(listening.admin_bind, `127.0.0.1:${admin.port}`);
  assert.match(listening.msg, new RegExp(`admin listener \\(metrics, health\\) on 127\\.0\\.0\\.1:${admin.port}, loopback only`));
});

// `gatehouse serve` and `gatehouse demo` (npm start) that cannot start say why in one line on stderr, naming the
// address or URL and the setting to change, and exit non-zero: no JSON line with a stack trace, no hang. Each
// listener (ingress, admin, the demo app's upstream) and each database driver gets its own case.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closedPort } from '../helpers/core-net.js';
import { runCli, tempDir, writeYaml, type CliResult } from '../helpers/core-cli.js';

let tmp: ReturnType<typeof tempDir>;
let taken: Server;
let takenPort: number;
before(async () => {
  tmp = tempDir('gatehouse-startup-');
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  takenPort = (taken.address() as { port: number }).port;
});
after(async () => {
  await new Promise<void>((resolve) => taken.close(() => resolve()));
  tmp.cleanup();
});

let n = 0;
/** A config whose listeners are free ports on 127.0.0.1 unless `over` says otherwise. */
async function configWith(over: { ingress?: string; admin?: string; storage?: Record<string, unknown>; demo?: string }): Promise<string> {
  n++;
  return writeYaml(join(tmp.dir, `gatehouse-${n}.yaml`), {
    server: { listen: over.ingress ?? `127.0.0.1:${await closedPort()}`, drain_delay: '0s' },
    admin: { listen: over.admin ?? `127.0.0.1:${await closedPort()}` },
    reload: { watch: false },
    upstreams: { demo: { url: over.demo ?? `http://127.0.0.1:${await closedPort()}` } },
    routes: [{ name: 'all', match: { path: '/' }, policy: 'public', upstream: 'demo' }],
    storage: over.storage ?? { driver: 'sqlite', sqlite: { path: join(tmp.dir, `db-${n}`, 'gatehouse.db') } },
  });
}

/** Exactly one line on stderr, no stack, no fatal JSON on stdout, and a non-zero exit. */
function assertOneLine(result: CliResult, ...expected: (string | RegExp)[]): string {
  assert.notEqual(result.code, 0, `exit code (stderr: ${result.stderr})`);
  assert.notEqual(result.code, null, 'it exited rather than being killed');
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  const line = lines[0]!;
  assert.match(line, /^gatehouse: /);
  for (const e of expected) {
    if (typeof e === 'string') assert.ok(line.includes(e), `"${e}" in: ${line}`);
    else assert.match(line, e);
  }
  assert.doesNotMatch(result.stderr + result.stdout, /\n\s+at \S+ \(|"stack"/, 'no stack trace');
  assert.doesNotMatch(result.stdout, /"level":60/, 'no fatal JSON log line');
  return line;
}

describe('a listener that cannot bind', () => {
  test('serve: the ingress port is taken -> names the port and server.listen', async () => {
    const config = await configWith({ ingress: `127.0.0.1:${takenPort}` });
    assertOneLine(await runCli(['serve', '--config', config], { timeoutMs: 30_000 }), `127.0.0.1:${takenPort}`, 'server.listen', 'already in use');
  });

  test('serve: the admin port is taken -> names the port and admin.listen', async () => {
    const config = await configWith({ admin: `127.0.0.1:${takenPort}` });
    assertOneLine(await runCli(['serve', '--config', config], { timeoutMs: 30_000 }), `127.0.0.1:${takenPort}`, 'admin.listen', 'already in use');
  });

  test('serve: an address that is not on this machine -> names it and the setting', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a host.
    const config = await configWith({ ingress: '192.0.2.1:4180' });
    assertOneLine(await runCli(['serve', '--config', config], { timeoutMs: 30_000 }), '192.0.2.1:4180', 'server.listen', 'not an address of this machine');
  });

  test('demo (npm start): the ingress port is taken -> the same one line', async () => {
    const config = await configWith({ ingress: `127.0.0.1:${takenPort}` });
    assertOneLine(await runCli(['demo', '--config', config], { timeoutMs: 60_000 }), `127.0.0.1:${takenPort}`, 'server.listen', 'already in use');
  });

  test("demo (npm start): the demo app's port is taken -> names upstreams.demo.url", async () => {
    const config = await configWith({ demo: `http://127.0.0.1:${takenPort}` });
    assertOneLine(await runCli(['demo', '--config', config], { timeoutMs: 60_000 }), `127.0.0.1:${takenPort}`, 'upstreams.demo.url', 'already in use');
  });
});

describe('a database that does not answer', () => {
  for (const driver of ['postgres', 'mysql'] as const) {
    test(`serve: ${driver} URL on a closed port -> names the URL (password hidden) and storage.${driver}.url`, async () => {
      const port = await closedPort();
      const url = `${driver}://gatehouse:s3cret-pass@127.0.0.1:${port}/gatehouse`;
      const config = await configWith({ storage: { driver, [driver]: { url, acquire_timeout: '2s' } } });
      const line = assertOneLine(await runCli(['serve', '--config', config], { timeoutMs: 30_000 }),
        `127.0.0.1:${port}`, `storage.${driver}.url`, 'does not answer');
      assert.ok(!line.includes('s3cret-pass'), 'the password is not printed');
    });
  }

  test('serve: a SQLite path that cannot be created -> names storage.sqlite.path', async () => {
    const blocker = join(tmp.dir, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const config = await configWith({ storage: { driver: 'sqlite', sqlite: { path: join(blocker, 'gatehouse.db') } } });
    assertOneLine(await runCli(['serve', '--config', config], { timeoutMs: 30_000 }), 'storage.sqlite.path');
  });

  test('demo (npm start): a database that does not answer -> the same one line', async () => {
    const port = await closedPort();
    const config = await configWith({ storage: { driver: 'postgres', postgres: { url: `postgres://postgres@127.0.0.1:${port}/gatehouse`, acquire_timeout: '2s' } } });
    assertOneLine(await runCli(['demo', '--config', config], { timeoutMs: 60_000 }), `127.0.0.1:${port}`, 'storage.postgres.url');
  });
});

// The `gatehouse` command as a user runs it: check-config's exit codes and output, --help, --version, and usage
// errors (exit 2) for unknown commands and flags.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, tempDir, writeYaml } from '../helpers/core-cli.js';

const tmp = tempDir();
after(() => tmp.cleanup());

const VALID = `upstreams:
  app: { url: "\${APP_URL:-http://127.0.0.1:8080}" }
routes:
  - { name: all, policy: public, upstream: app }
`;

describe('gatehouse check-config', () => {
  test('a valid file: exit 0 and "ok"', async () => {
    const file = writeYaml(join(tmp.dir, 'valid.yaml'), VALID);
    const r = await runCli(['check-config', '--config', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ok');
    assert.equal(r.stderr, '');
  });

  test('--config=FILE works too', async () => {
    const file = writeYaml(join(tmp.dir, 'valid-eq.yaml'), VALID);
    const r = await runCli(['check-config', `--config=${file}`]);
    assert.equal(r.code, 0, r.stderr);
  });

  test('an invalid file: exit 1, every problem on its own line with path and line', async () => {
    const file = writeYaml(join(tmp.dir, 'invalid.yaml'), `server:
  listen: "nope"
upstreams:
  app: { url: "http://127.0.0.1:8080" }
  admin: { url: "http://127.0.0.1:8081" }
routes:
  - { name: a, policy: public, upstream: app }
  - { name: a, policy: public, upstream: app }
  - { name: c, policy: public, upstream: api }
`);
    const r = await runCli(['check-config', '--config', file]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '', 'nothing but problems is printed');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 3, r.stderr);
    assert.ok(lines.includes(`${file}: routes[2].upstream (line 9): unknown upstream "api" (known: app, admin)`), r.stderr);
    assert.ok(lines.some((l) => l.includes('server.listen (line 2): expected "host:port"')), r.stderr);
    assert.ok(lines.some((l) => l.includes('routes[1].name (line 8): duplicate route name "a"')), r.stderr);
    assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  });

  test('an unset ${VAR} names the variable; setting it makes the file valid', async () => {
    const file = writeYaml(join(tmp.dir, 'env.yaml'), 'upstreams:\n  app: { url: "${GH_CLI_TEST_URL}" }\nroutes: []\n');
    const unset = await runCli(['check-config', '--config', file], { env: { GH_CLI_TEST_URL: '' } });
    assert.equal(unset.code, 1);
    assert.match(unset.stderr, /upstreams\.app\.url \(line 2\): environment variable GH_CLI_TEST_URL is not set/);
    const set = await runCli(['check-config', '--config', file], { env: { GH_CLI_TEST_URL: 'http://127.0.0.1:9' } });
    assert.equal(set.code, 0, set.stderr);
  });

  test('a missing file: exit 1 and a clear message', async () => {
    const r = await runCli(['check-config', '--config', join(tmp.dir, 'does-not-exist.yaml')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot read .*does-not-exist\.yaml: ENOENT/);
    assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  });

  test('the default path is config/gatehouse.yaml (the checkout\'s own config is valid)', async () => {
    const r = await runCli(['check-config'], { cwd: fileURLToPath(new URL('../../../', import.meta.url)) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ok');
  });
});

describe('gatehouse usage', () => {
  const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

  test('--help and -h: exit 0 and the usage text', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const r = await runCli([flag]);
      assert.equal(r.code, 0, flag);
      assert.match(r.stdout, /Usage: gatehouse <command>/);
      assert.match(r.stdout, /check-config/);
    }
  });

  test('a command\'s --help: exit 0', async () => {
    const r = await runCli(['check-config', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: gatehouse/);
  });

  test('--version and -v print the package version', async () => {
    for (const flag of ['--version', '-v']) {
      const r = await runCli([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout.trim(), version);
    }
  });

  test('no command: usage on and exit 2', async () => {
    const r = await runCli([]);
    assert.equal(r.code, 2);
    assert.match(r.stdout + r.stderr, /Usage: gatehouse/);
  });

  test('an unknown command: a clear message and exit 2', async () => {
    const r = await runCli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
    assert.match(r.stderr, /--help/);
  });

  test('an unknown flag, a missing flag value or a stray argument: exit 2, no stack trace', async () => {
    for (const args of [['check-config', '--bogus'], ['serve', '--confg', 'x.yaml'], ['check-config', '--config'], ['check-config', 'extra.yaml']]) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^gatehouse /, args.join(' '));
      assert.ok(!/\n\s+at /.test(r.stderr), `no stack trace for ${args.join(' ')}`);
    }
  });

  test('serve with an invalid config: exit 1 with the problems, before listening', async () => {
    const file = writeYaml(join(tmp.dir, 'serve-invalid.yaml'), 'server: { listen: "127.0.0.1:0", bogus: 1 }\nupstreams: {}\nroutes: []\n');
    const r = await runCli(['serve', '--config', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /server\.bogus \(line 1\): unknown key "bogus"/);
    assert.match(r.stderr, /upstreams/);
  });
});

// The configuration edge: every kind of problem is reported, all at once, with its YAML path and line, before
// anything listens; ${ENV} interpolation works on parsed scalars so the environment can never add YAML structure.
import { after, test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText, readConfigFile } from '../../src/config/index.js';
import { MAX_SECRET_FILE_BYTES } from '../../src/config/interpolate.js';
import { ConfigError, formatConfigProblem, type ConfigProblem } from '../../src/errors/index.js';

/** The problems a text produces (fails the test when it loads). */
function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): readonly ConfigProblem[] {
  try {
    parseConfigText(text, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected the configuration to be refused');
}

/** Finds the one problem at `path` whose message matches. */
function problemAt(problems: readonly ConfigProblem[], path: string, message: RegExp): ConfigProblem {
  const hit = problems.find((p) => p.path === path && message.test(p.message));
  assert.ok(hit, `no problem at ${path} matching ${message}; got:\n${problems.map(formatConfigProblem).join('\n')}`);
  return hit;
}

const VALID = `upstreams:
  app: { url: "http://127.0.0.1:8080" }
routes:
  - name: all
    policy: public
    upstream: app
`;

describe('config: a valid file', () => {
  test('loads with documented defaults and is frozen', () => {
    const config = parseConfigText(VALID, {});
    assert.deepEqual(config.server.listen, { host: '0.0.0.0', port: 4180 });
    assert.deepEqual(config.admin.listen, { host: '127.0.0.1', port: 4181 });
    assert.equal(config.upstreams['app']!.timeout, 30_000);
    assert.equal(config.server.identity_header_prefix, 'X-Auth-');
    assert.deepEqual(config.server.trusted_proxies, []);
    assert.equal(config.routes[0]!.match.path, '/');
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.routes[0]!.match), 'the validated config is frozen');
  });

  test('IPv6 listen addresses in brackets are accepted', () => {
    const config = parseConfigText(`server: { listen: "[::1]:8443" }\n${VALID}`, {});
    assert.deepEqual(config.server.listen, { host: '::1', port: 8443 });
  });
});

describe('config: each kind of problem, with path and line', () => {
  test('unknown key (top level, nested, in a route)', () => {
    const problems = problemsOf(`colour: blue
server:
  lisen: "0.0.0.0:1"
upstreams:
  app: { url: "http://127.0.0.1:8080", retries: 3 }
routes:
  - name: all
    policy: public
    upstream: app
    extra: true
`);
    assert.equal(problemAt(problems, 'colour', /unknown key "colour"/).line, 1);
    assert.equal(problemAt(problems, 'server.lisen', /unknown key "lisen"/).line, 3);
    assert.equal(problemAt(problems, 'upstreams.app.retries', /unknown key "retries"/).line, 5);
    assert.equal(problemAt(problems, 'routes[0].extra', /unknown key "extra"/).line, 10);
  });

  test('wrong type names what was expected and what was given', () => {
    const problems = problemsOf(`server:
  max_in_flight: "many"
  trusted_proxies: "10.0.0.0/8"
${VALID}`);
    const p = problemAt(problems, 'server.max_in_flight', /expected number/);
    assert.equal(p.line, 2);
    // A value that is present but of the wrong type is not "required": the message must say what was given.
    // (src/config/load-config.ts reads issue.input, which zod 4 only fills with safeParse(..., { reportInput: true }).)
    assert.doesNotMatch(p.message, /required/, `wrong type reported as missing: ${p.message}`);
    assert.match(p.message, /got string "many"/);
    assert.match(problemAt(problems, 'server.trusted_proxies', /expected array/).message, /got string/);
  });

  test('a missing required section says "required"', () => {
    const problems = problemsOf('upstreams:\n  app: { url: "http://127.0.0.1:8080" }\n');
    problemAt(problems, 'routes', /required/);
  });

  test('a bad enum value lists the choices', () => {
    const problems = problemsOf(`logging: { level: loud }\n${VALID}`);
    const p = problemAt(problems, 'logging.level', /expected one of "trace", "debug"/);
    assert.equal(p.line, 1);
    assert.match(p.message, /got string "loud"/);
  });

  test('unknown upstream name lists the known ones', () => {
    const problems = problemsOf(`upstreams:
  app: { url: "http://127.0.0.1:8080" }
  admin: { url: "http://127.0.0.1:8081" }
routes:
  - name: a
    policy: public
    upstream: app
  - name: b
    policy: public
  - name: c
    policy: public
    upstream: api
`);
    const p = problemAt(problems, 'routes[2].upstream', /^unknown upstream "api" \(known: app, admin\)$/);
    assert.equal(p.line, 12);
    assert.equal(formatConfigProblem(p), 'routes[2].upstream (line 12): unknown upstream "api" (known: app, admin)');
    problemAt(problems, 'routes[1].upstream', /required/);
  });

  test('duplicate route names point at the second one and name the first', () => {
    const problems = problemsOf(`upstreams:
  app: { url: "http://127.0.0.1:8080" }
routes:
  - { name: same, policy: public, upstream: app }
  - { name: other, policy: public, upstream: app }
  - { name: same, policy: deny }
`);
    assert.equal(problemAt(problems, 'routes[2].name', /duplicate route name "same" \(first used by routes\[0\]\)/).line, 6);
  });

  test('bad URLs', () => {
    const problems = problemsOf(`server: { public_url: "localhost:4180" }
upstreams:
  a: { url: "ftp://127.0.0.1/" }
  b: { url: "not a url" }
routes:
  - { name: r, policy: public, upstream: a }
`);
    problemAt(problems, 'server.public_url', /absolute http/);
    assert.equal(problemAt(problems, 'upstreams.a.url', /absolute http/).line, 3);
    assert.equal(problemAt(problems, 'upstreams.b.url', /absolute http/).line, 4);
  });

  test('bad durations', () => {
    const problems = problemsOf(`server:
  drain_delay: "5 seconds"
  grace_period: -1
upstreams:
  app: { url: "http://127.0.0.1:8080", timeout: "30x", connect_timeout: "" }
routes:
  - { name: r, policy: public, upstream: app }
`);
    assert.equal(problemAt(problems, 'server.drain_delay', /expected a duration .* got "5 seconds"/).line, 2);
    problemAt(problems, 'server.grace_period', /expected a duration/);
    assert.equal(problemAt(problems, 'upstreams.app.timeout', /expected a duration .* got "30x"/).line, 5);
    problemAt(problems, 'upstreams.app.connect_timeout', /expected a duration/);
  });

  test('bad listen addresses', () => {
    const problems = problemsOf(`server: { listen: "4180" }
admin: { listen: "0.0.0.0:99999" }
${VALID}`);
    assert.equal(problemAt(problems, 'server.listen', /expected "host:port".*got "4180"/).line, 1);
    assert.equal(problemAt(problems, 'admin.listen', /expected "host:port".*got "0.0.0.0:99999"/).line, 2);
  });

  test('bad trusted_proxies entries are refused at load, not at first request', () => {
    const problems = problemsOf(`server: { trusted_proxies: ["10.0.0.0/8", "not-an-ip", "10.0.0.0/33"] }\n${VALID}`);
    assert.ok(problems.some((p) => p.path.startsWith('server.trusted_proxies')),
      `expected a problem under server.trusted_proxies; got:\n${problems.map(formatConfigProblem).join('\n')}`);
  });

  test('YAML syntax errors carry a line', () => {
    const problems = problemsOf('upstreams:\n  app: { url: "http://x"\nroutes: []\n');
    assert.ok(problems.length > 0 && problems.every((p) => /YAML syntax/.test(p.message)));
    assert.ok(problems.some((p) => typeof p.line === 'number'));
  });

  test('duplicate YAML keys are refused (not silently last-wins)', () => {
    const problems = problemsOf(`upstreams:\n  app: { url: "http://127.0.0.1:1" }\n  app: { url: "http://127.0.0.1:2" }\nroutes: []\n`);
    assert.ok(problems.length > 0);
  });

  test('every problem of a file is reported at once', () => {
    const problems = problemsOf(`colour: blue
server:
  listen: "nope"
  drain_delay: "soon"
upstreams:
  app: { url: "ftp://x" }
routes:
  - { name: a, policy: public, upstream: api }
  - { name: a, policy: publik, upstream: app }
  - { name: c, policy: public, upstream: "\${MISSING_VAR}" }
`);
    const paths = problems.map((p) => p.path);
    for (const expected of ['colour', 'server.listen', 'server.drain_delay', 'upstreams.app.url', 'routes[0].upstream', 'routes[1].name', 'routes[1].policy', 'routes[2].upstream']) {
      assert.ok(paths.includes(expected), `missing ${expected} in:\n${problems.map(formatConfigProblem).join('\n')}`);
    }
    assert.ok(problems.every((p) => typeof p.line === 'number'), 'every problem in a parsed file has a line');
  });
});

describe('config: ${ENV} interpolation', () => {
  const withVar = (value: string): string => `upstreams:
  app: { url: "${value}" }
routes:
  - { name: r, policy: public, upstream: app }
`;

  test('${VAR} is replaced from the environment', () => {
    const config = parseConfigText(withVar('http://${UP_HOST}:${UP_PORT}/base'), { UP_HOST: '10.1.2.3', UP_PORT: '9000' });
    assert.equal(config.upstreams['app']!.url, 'http://10.1.2.3:9000/base');
  });

  test('an unset ${VAR} without default is an error naming the variable, path and line', () => {
    const problems = problemsOf(withVar('http://${GH_TEST_UNSET_HOST}:80'));
    const p = problemAt(problems, 'upstreams.app.url', /GH_TEST_UNSET_HOST is not set/);
    assert.equal(p.line, 2);
  });

  test('${VAR:-default} falls back when unset or empty, and yields to the environment when set', () => {
    assert.equal(parseConfigText(withVar('${UP_URL:-http://127.0.0.1:7000}'), {}).upstreams['app']!.url, 'http://127.0.0.1:7000');
    assert.equal(parseConfigText(withVar('${UP_URL:-http://127.0.0.1:7000}'), { UP_URL: '' }).upstreams['app']!.url, 'http://127.0.0.1:7000');
    assert.equal(parseConfigText(withVar('${UP_URL:-http://127.0.0.1:7000}'), { UP_URL: 'http://127.0.0.1:7001' }).upstreams['app']!.url, 'http://127.0.0.1:7001');
  });

  test('$$ is a literal $ (and is not the start of a reference)', () => {
    const config = parseConfigText(`upstreams:
  app: { url: "http://127.0.0.1:8080" }
routes:
  - { name: r, policy: public, upstream: app, match: { host: "a$$b.test", path: "/p$\${NOT_A_VAR}/" } }
`, {});
    assert.equal(config.routes[0]!.match.host, 'a$b.test');
    assert.equal(config.routes[0]!.match.path, '/p${NOT_A_VAR}/');
  });

  test('a value from the environment cannot inject YAML structure', () => {
    const evil = 'x.test"\n    policy: public\n  - name: injected\nstorage: { driver: mysql }\n#';
    const config = parseConfigText(`upstreams:
  app: { url: "http://127.0.0.1:8080" }
routes:
  - name: r
    policy: deny
    match: { host: "\${EVIL_HOST}" }
`, { EVIL_HOST: evil });
    assert.equal(config.routes.length, 1);
    assert.equal(config.routes[0]!.policy, 'deny');
    assert.equal(config.routes[0]!.match.host, evil, 'the whole value stays one scalar');
    assert.equal(config.storage.driver, 'sqlite');
  });

  test('an environment value is not interpolated again (no ${...} expansion of secrets)', () => {
    const config = parseConfigText(withVar('${UP_URL}'), { UP_URL: 'http://127.0.0.1:1/${OTHER}', OTHER: 'x' });
    assert.equal(config.upstreams['app']!.url, 'http://127.0.0.1:1/${OTHER}');
  });
});

describe('config: ${file:/path} secrets (mounted Kubernetes Secrets)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-secret-files-'));
  const secret = 'k'.repeat(40);
  writeFileSync(join(dir, 'token-key'), `${secret}\n`);
  writeFileSync(join(dir, 'crlf'), `${secret}\r\n`);
  writeFileSync(join(dir, 'two-newlines'), `${secret}\n\n`);
  writeFileSync(join(dir, 'host'), '127.0.0.9');
  writeFileSync(join(dir, 'huge'), 'x'.repeat(MAX_SECRET_FILE_BYTES + 1));
  const withKey = (value: string, url = 'http://127.0.0.1:8080'): string => `upstreams:
  app: { url: "${url}" }
routes:
  - { name: r, policy: public, upstream: app }
sessions:
  token_keys:
    - { id: k1, secret: "${value}" }
`;
  const keyOf = (value: string): string => parseConfigText(withKey(value), {}).sessions.token_keys[0]!.secret;

  test('the file replaces the reference, with one trailing newline (LF or CRLF) removed', () => {
    assert.equal(keyOf(`\${file:${dir}/token-key}`), secret);
    assert.equal(keyOf(`\${file:${dir}/crlf}`), secret);
    assert.equal(keyOf(`\${file:${dir}/two-newlines}`), `${secret}\n`, 'only one newline is trimmed');
  });

  test('a reference inside a longer string, next to ${ENV}', () => {
    const config = parseConfigText(withKey(`\${file:${dir}/token-key}`, `http://\${file:${dir}/host}:\${PORT}/`), { PORT: '81' });
    assert.equal(config.upstreams['app']!.url, 'http://127.0.0.9:81/');
  });

  test('a missing file is a problem naming the YAML path, line and file, and every problem is reported at once', () => {
    const problems = problemsOf(`${withKey(`\${file:${dir}/absent}`)}    - { id: k2, secret: "\${file:${dir}/huge}" }
    - { id: k3, secret: "\${file:relative/key}" }
`);
    const missing = problemAt(problems, 'sessions.token_keys[0].secret', new RegExp(`cannot read secret file ${dir}/absent: ENOENT`));
    assert.equal(missing.line, 7);
    problemAt(problems, 'sessions.token_keys[1].secret', /larger than 65536 bytes/);
    problemAt(problems, 'sessions.token_keys[2].secret', /expected an absolute path/);
  });

  test('an unreadable path (a directory, as a mount gone wrong leaves) is a problem naming it', () => {
    const problems = problemsOf(withKey(`\${file:${dir}}`));
    problemAt(problems, 'sessions.token_keys[0].secret', new RegExp(`cannot read secret file ${dir}: EISDIR`));
  });

  test('secrets never appear in problems: a too-short secret from a file is reported without its value', () => {
    writeFileSync(join(dir, 'short'), 'hunter2-short\n');
    const problems = problemsOf(withKey(`\${file:${dir}/short}`));
    problemAt(problems, 'sessions.token_keys[0].secret', /at least 32 characters/);
    for (const p of problems) assert.doesNotMatch(JSON.stringify(p), /hunter2/);
  });

  test('the contents of a file are not interpolated again', () => {
    writeFileSync(join(dir, 'dollar'), `\${OTHER}${secret}\n`);
    assert.equal(parseConfigText(withKey(`\${file:${dir}/dollar}`), { OTHER: 'x' }).sessions.token_keys[0]!.secret, `\${OTHER}${secret}`);
  });

  test('a whole config file with file secrets loads through readConfigFile', () => {
    const file = join(dir, 'gatehouse.yaml');
    writeFileSync(file, withKey(`\${file:${dir}/token-key}`));
    assert.equal(readConfigFile(file, {}).config.sessions.token_keys[0]!.secret, secret);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));
});

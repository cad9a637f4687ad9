// The routing keys of the config: `routing.case_sensitive` and a route's `match.case_sensitive`, validated with
// their YAML paths, defaulted, and carried into the route table a running Gatehouse builds.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../src/config/index.js';
import { ConfigError, formatConfigProblem } from '../../src/errors/index.js';
import { buildRuntimeTable, retireRuntimeTable } from '../../src/pipeline/runtime-table.js';
import { normalizePath } from '../../src/routing/index.js';

const ROUTES = `upstreams:
  app: { url: "http://127.0.0.1:8080" }
routes:
  - name: admin
    match: { path: /admin/ }
    policy: { roles: [admin] }
    upstream: app
  - name: rest
    policy: authenticated
    upstream: app
`;

function problemsOf(text: string): string[] {
  try {
    parseConfigText(text, {});
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.map(formatConfigProblem);
  }
  assert.fail('expected the configuration to be refused');
}

/** The route a running table picks for a raw path, for a config text. */
async function judged(text: string, raw: string): Promise<string | undefined> {
  const table = buildRuntimeTable(parseConfigText(text, {}));
  try {
    const target = normalizePath(raw);
    assert.ok(target.ok);
    return table.routes.match(undefined, target, 'GET')?.name;
  } finally {
    await retireRuntimeTable(table, { ...table, upstreams: new Map() });
  }
}

describe('config: routing', () => {
  test('defaults: routes are also read case-folded; a route has no setting of its own', () => {
    const config = parseConfigText(ROUTES, {});
    assert.equal(config.routing.case_sensitive, false);
    assert.equal(config.routes[0]!.match.case_sensitive, undefined);
  });

  test('wrong types are reported with their YAML paths and lines', () => {
    const problems = problemsOf(`routing: { case_sensitive: "yes", fold: true }
upstreams:
  app: { url: "http://127.0.0.1:8080" }
routes:
  - name: a
    match: { path: /a/, case_sensitive: 1 }
    policy: public
    upstream: app
`);
    assert.ok(problems.some((p) => /^routing\.case_sensitive \(line 1\): expected boolean/.test(p)), problems.join('\n'));
    assert.ok(problems.some((p) => /^routing\.fold \(line 1\): unknown key "fold"/.test(p)), problems.join('\n'));
    assert.ok(problems.some((p) => /^routes\[0\]\.match\.case_sensitive \(line 6\): expected boolean/.test(p)), problems.join('\n'));
  });

  test('the running table follows routing.case_sensitive and match.case_sensitive', async () => {
    assert.equal(await judged(ROUTES, '/ADMIN/x'), 'admin');
    assert.equal(await judged(`routing: { case_sensitive: true }\n${ROUTES}`, '/ADMIN/x'), 'rest');
    assert.equal(await judged(`routing: { case_sensitive: true }\n${ROUTES.replace('path: /admin/ }', 'path: /admin/, case_sensitive: false }')}`, '/ADMIN/x'), 'admin');
  });

  test('a case-insensitive route path with a letter outside ASCII is refused at start with its path', () => {
    const text = ROUTES.replace('path: /admin/ }', 'path: "/%C3%84rger/" }');
    assert.throws(() => buildRuntimeTable(parseConfigText(text, {})), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.problems.map(formatConfigProblem).join('\n'), /^routes\[0\]\.match\.path: .*case_sensitive: true/m);
      return true;
    });
  });
});

describe('upgrade_protocols', () => {
  const WS = `upstreams:
  app: { url: "http://127.0.0.1:8080" }
routes:
  - name: ws
    match: { path: /ws/ }
    policy: public
    upstream: app
`;

  test('h2c (in any case, or HTTP/2 by another name) is refused with its YAML path, and so is a malformed protocol', () => {
    const problems = problemsOf(`${WS}    websockets: true\n    upgrade_protocols: [tcp, H2C, "HTTP/2.0", "two words"]\n`);
    assert.ok(problems.some((p) => /^routes\[0\]\.upgrade_protocols\[1\] \(line \d+\): H2C is never forwarded as an upgrade/.test(p)), problems.join('\n'));
    assert.ok(problems.some((p) => /^routes\[0\]\.upgrade_protocols\[2\] \(line \d+\): HTTP\/2\.0 is never forwarded/.test(p)), problems.join('\n'));
    assert.ok(problems.some((p) => /^routes\[0\]\.upgrade_protocols\[3\] \(line \d+\): expected a protocol name/.test(p)), problems.join('\n'));
    assert.ok(!problems.some((p) => p.includes('upgrade_protocols[0]')), 'tcp is fine');
  });

  test('upgrade_protocols without websockets: true is refused with its path', () => {
    const problems = problemsOf(`${WS}    upgrade_protocols: [tcp]\n`);
    assert.ok(problems.some((p) => /^routes\[0\]\.upgrade_protocols.*needs websockets: true/.test(p)), problems.join('\n'));
  });

  test('the running table lets websocket and the listed protocols through, lower-cased; a route without websockets none', async () => {
    const table = buildRuntimeTable(parseConfigText(`${WS}    websockets: true\n    upgrade_protocols: [TCP, "foo/2"]\n  - name: rest\n    policy: public\n    upstream: app\n`, {}));
    try {
      const at = (raw: string) => {
        const target = normalizePath(raw);
        assert.ok(target.ok);
        return table.routes.match(undefined, target, 'GET')!;
      };
      assert.deepEqual(at('/ws/x').upgradeProtocols, ['websocket', 'tcp', 'foo/2']);
      assert.deepEqual(at('/other').upgradeProtocols, []);
    } finally {
      await retireRuntimeTable(table, { ...table, upstreams: new Map() });
    }
  });
});

// `gatehouse migrate` against each real database: applies every migration once, then has nothing to apply; an
// unreachable database is a one-line error and exit 1, never a stack trace.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { storageAsYaml } from '../helpers/full-gatehouse.js';
import { runCli, tempDir, writeYaml } from '../helpers/core-cli.js';
import { latestVersion, migrationsFor } from '../../src/store/migrations/index.js';

function config(dir: string, storage: Record<string, unknown>): string {
  return writeYaml(join(dir, 'gatehouse.yaml'), {
    upstreams: { app: { url: 'http://127.0.0.1:9' } },
    routes: [{ name: 'all', match: { path: '/' }, policy: 'authenticated', upstream: 'app' }],
    storage: { ...storage, migrate_on_start: false },
  });
}

await describeEachDriver('gatehouse migrate', (driver, makeDatabase) => {
  let db: TestDatabase;
  let tmp: ReturnType<typeof tempDir>;
  before(async () => {
    db = await makeDatabase();
    tmp = tempDir('gatehouse-migrate-');
  });
  after(async () => {
    tmp?.cleanup();
    await db?.drop();
  });

  test('applies the migrations, then has nothing to apply', async () => {
    const path = config(tmp.dir, storageAsYaml(db.config));
    const first = await runCli(['migrate', '--config', path]);
    assert.equal(first.code, 0, first.stderr);
    const version = latestVersion(migrationsFor(driver));
    assert.match(first.stdout, new RegExp(`^ok: ${driver} schema at version ${version} \\(applied 1 `, 'm'));
    const second = await runCli(['migrate', '--config', path]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, new RegExp(`^ok: ${driver} schema at version ${version} \\(nothing to apply\\)`, 'm'));
  });
}, ['sqlite', 'postgres', 'mysql']);

test('an unreachable database: exit 1 and one clear line, no stack trace', async () => {
  const tmp = tempDir('gatehouse-migrate-down-');
  try {
    const path = config(tmp.dir, { driver: 'postgres', postgres: { url: 'postgres://postgres@127.0.0.1:9/none', acquire_timeout: '1s' } });
    const result = await runCli(['migrate', '--config', path]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^gatehouse migrate: storage is unavailable/m);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    tmp.cleanup();
  }
});

// The container image's recipe, exercised without Docker: scripts/build-image.sh (the same steps the
// Dockerfile runs) builds the runtime tree from a copy of exactly the files .dockerignore lets into the
// build context, and the result starts with nothing but node.
//
// Needs the npm registry or a warm npm cache (npm ci runs with prefer-offline), python3, make and g++
// (better-sqlite3 is compiled from source, as in the image). Takes one to three minutes.
import { strict as assert } from 'node:assert';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { repoRoot, run } from './chart-tools.js';

/** What .dockerignore lets into the build context (the "!" lines), and what the Dockerfile COPYs. */
const contextFiles = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n')
  .filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));

describe('container image recipe', () => {
  const work = mkdtempSync(join(tmpdir(), 'gatehouse-image-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  test('the Dockerfile runs the build script, copies only what .dockerignore admits, and runs as non-root', () => {
    const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
    for (const step of ['deps /src /out', 'compile /src', 'app /src /out']) assert.ok(dockerfile.includes(`scripts/build-image.sh ${step}`), step);
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1]!.split(/\s+/)) assert.ok(contextFiles.includes(src), `${src} is in the build context`);
    }
    assert.match(dockerfile, /^USER 1000:1000$/m);
    assert.match(dockerfile, /^EXPOSE 4180 4181$/m);
    assert.match(dockerfile, /^ENTRYPOINT \["node", "\/app\/bin\/gatehouse.js"\]$/m);
    assert.match(dockerfile, /^CMD \["serve", "--config", "\/etc\/gatehouse\/gatehouse.yaml"\]$/m);
    // Both stages from one base: the native addon's ABI matches the Node that runs it.
    assert.equal([...dockerfile.matchAll(/^FROM \$\{BASE\}/gm)].length, 2);
  });

  test('scripts/build-image.sh all builds a tree that starts with node alone', { timeout: 600_000 }, () => {
    assert.ok(existsSync(join(repoRoot, 'bin', 'gatehouse.js')), 'bin/gatehouse.js exists');
    const src = join(work, 'src');
    const out = join(work, 'out');
    for (const f of contextFiles) if (existsSync(join(repoRoot, f))) cpSync(join(repoRoot, f), join(src, f), { recursive: true });
    const env: NodeJS.ProcessEnv = { ...process.env, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' };
    delete env.NODE_OPTIONS;
    const r = run('bash', [join(src, 'scripts', 'build-image.sh'), 'all', src, out], { env, timeoutMs: 540_000 });
    assert.equal(r.status, 0, `build-image.sh failed:\n${r.stdout}\n${r.stderr}`);

    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    // Runtime only: compiled sources, production dependencies, no compiler, no tests.
    assert.ok(existsSync(join(out, 'bin', 'gatehouse.js')) && existsSync(join(out, 'dist', 'src')));
    assert.ok(!existsSync(join(out, 'dist', 'test')));
    assert.ok(!existsSync(join(out, 'src')), 'no TypeScript sources');
    for (const dep of Object.keys(pkg.dependencies)) assert.ok(existsSync(join(out, 'node_modules', dep)), `dependency ${dep}`);
    // (@types/* may come in as a production dependency's own dependency; the tools must not.)
    for (const dev of Object.keys(pkg.devDependencies).filter((d) => !d.startsWith('@types/'))) {
      assert.ok(!existsSync(join(out, 'node_modules', dev)), `no dev dependency ${dev}`);
    }
    assert.ok(!existsSync(join(out, 'node_modules', 'better-sqlite3', 'deps')), 'build leftovers pruned');

    // Starts from the produced tree (cwd = the tree, as WORKDIR /app in the image).
    const version = run(process.execPath, ['bin/gatehouse.js', '--version'], { cwd: out, env: { PATH: process.env.PATH } });
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, new RegExp(pkg.version.replaceAll('.', '\\.')));
    // The native addon built by the script loads and works.
    const sqlite = run(process.execPath, ['--input-type=module', '-e',
      "import Database from 'better-sqlite3'; const db = new Database(':memory:'); console.log(db.prepare('select 41 + 1 as x').get().x)"], { cwd: out });
    assert.equal(sqlite.stdout.trim(), '42', sqlite.stderr);
  });
});

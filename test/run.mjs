#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with Node's test runner and its spec reporter.
// Usage: node test/run.mjs [filter ...] [--exclude fragment ...]
//   a filter keeps files whose path contains it; --exclude drops files whose path contains the fragment
// Node 20's --test takes no globs, so the files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/test/', import.meta.url).pathname;
const filters = [];
const excludes = [];
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--exclude') excludes.push(process.argv[++i] ?? '');
  else filters.push(process.argv[i]);
}
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full);
    else if (name.endsWith('.test.js')) files.push(full);
  }
})(root);
const chosen = files.filter((f) => (filters.length === 0 || filters.some((x) => relative(root, f).includes(x)))
  && !excludes.some((x) => relative(root, f).includes(x)));
if (chosen.length === 0) {
  console.error(`no test files match ${filters.join(' ') || '(all)'} under ${root}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', ...chosen], {
  stdio: 'inherit',
  env: { ...process.env, GATEHOUSE_TEST: '1' },
});
process.exit(result.status ?? 1);

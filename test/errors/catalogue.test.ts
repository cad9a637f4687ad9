// The error catalogue and its documentation stay in step: every code is documented with its status and reason,
// and the docs name no code that does not exist (fastify's rule: a test checks every error code is documented).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CATALOGUE, GatehouseError } from '../../src/errors/index.js';

const DOC = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

test('every GATE_ERR_* code is documented with its status and reason', () => {
  for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
    const row = DOC.split('\n').find((line) => line.startsWith(`| \`${code}\` `));
    assert.ok(row, `docs/errors.md has a row for ${code}`);
    assert.ok(row.includes(`| ${entry.status} |`), `${code}: documented status ${entry.status}`);
    assert.ok(row.includes(`\`${entry.reason}\``), `${code}: documented reason ${entry.reason}`);
  }
});

test('the docs name no code the catalogue lacks', () => {
  const documented = [...DOC.matchAll(/\| `(GATE_ERR_[A-Z_]+)` /g)].map((m) => m[1]!);
  assert.ok(documented.length > 0);
  for (const code of documented) assert.ok(code in ERROR_CATALOGUE, `${code} is in the catalogue`);
});

test('errors carry the catalogue status; non-exposable messages never reach the client', () => {
  const hidden = new GatehouseError('GATE_ERR_INTERNAL', 'secret detail about the database password');
  assert.equal(hidden.status, 500);
  assert.equal(hidden.publicMessage(), 'internal error');
  const shown = new GatehouseError('GATE_ERR_BAD_REQUEST', 'email: required');
  assert.equal(shown.publicMessage(), 'email: required');
  assert.equal(new GatehouseError('GATE_ERR_HASH_POOL_FULL').retryAfterSeconds, 1);
});

test('refusals and overload answers carry no stack (a shed must stay cheap); faults keep theirs', () => {
  const frames = (err: Error): number => (err.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at ')).length;
  for (const code of ['GATE_ERR_UNAUTHENTICATED', 'GATE_ERR_FORBIDDEN', 'GATE_ERR_NOT_FOUND', 'GATE_ERR_OVERLOADED'] as const) {
    const err = new GatehouseError(code);
    assert.equal(frames(err), 0, `${code}: no stack frames`);
    assert.equal(err.code, code);
    assert.match(err.stack ?? '', new RegExp(`^GatehouseError: `), 'still names itself');
  }
  assert.ok(frames(new GatehouseError('GATE_ERR_INTERNAL')) > 0, 'a 500 keeps the stack of where it was raised');
  assert.ok(frames(new Error('after')) > 0, 'the global stack trace limit is restored');
});

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePath, type NormalizePathResult } from '../../src/routing/index.js';
import { prng } from './helpers.js';

/** Checks the invariants every successful result must hold; a refusal only needs a reason. */
function checkInvariants(raw: string, got: NormalizePathResult): void {
  const where = `input ${JSON.stringify(raw)} -> ${JSON.stringify(got)}`;
  if (!got.ok) {
    assert.equal(typeof got.reason, 'string', where);
    assert.ok(got.reason.length > 0, where);
    return;
  }
  for (const p of [got.path, got.matchPath]) {
    assert.equal(p[0], '/', where);
    assert.ok(!p.includes('//'), where);
    assert.ok(!/[\\\u0000-\u0020\u007f-\uffff]/.test(p), where);
    assert.ok(!/%(?![0-9A-F]{2})/.test(p), where); // every escape well-formed, upper-case
    assert.ok(!/%(2F|5C|00)/.test(p), where);
    for (const seg of p.split('/').slice(1, -1)) assert.ok(seg !== '.' && seg !== '..', where);
    const lastSeg = p.slice(p.lastIndexOf('/') + 1);
    assert.ok(lastSeg !== '.' && lastSeg !== '..', where);
  }
  assert.ok(!got.matchPath.includes(';'), where);
  assert.ok(!got.query.includes('#'), where);
  const again = normalizePath(got.path);
  assert.ok(again.ok && again.path === got.path && again.matchPath === got.matchPath, `not idempotent: ${where}`);
}

describe('normalizePath fuzz', () => {
  const seed = Number(process.env['GATEHOUSE_FUZZ_SEED'] ?? 20240601);

  test(`random bytes never throw and keep the invariants (seed ${seed})`, () => {
    const rand = prng(seed);
    for (let i = 0; i < 5000; i++) {
      const len = Math.floor(rand() * 64);
      let s = rand() < 0.8 ? '/' : '';
      for (let k = 0; k < len; k++) s += String.fromCharCode(Math.floor(rand() * 256));
      checkInvariants(s, normalizePath(s));
    }
  });

  test(`random strings from a hostile alphabet never throw and keep the invariants (seed ${seed})`, () => {
    const alphabet = ['/', '/', '.', '..', '%', '2', 'e', 'E', 'f', 'F', '5', 'c', '0', ';', '?', '#', '\\', 'a', 'x', '%2e', '%2f', '%5c', '%00', '%61', '~', '*', 'http://h', '\u00e9', '\u2216'];
    const rand = prng(seed + 1);
    for (let i = 0; i < 10_000; i++) {
      const len = Math.floor(rand() * 24);
      let s = '/';
      for (let k = 0; k < len; k++) s += alphabet[Math.floor(rand() * alphabet.length)];
      checkInvariants(s, normalizePath(s));
    }
  });

  test(`random printable ASCII never throws and keeps the invariants (seed ${seed})`, () => {
    const rand = prng(seed + 3);
    for (let i = 0; i < 5000; i++) {
      const len = Math.floor(rand() * 40);
      let s = '/';
      for (let k = 0; k < len; k++) s += String.fromCharCode(0x21 + Math.floor(rand() * 94));
      checkInvariants(s, normalizePath(s));
    }
  });

  test('random full-range UTF-16 strings never throw', () => {
    const rand = prng(seed + 2);
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(rand() * 32);
      let s = '/';
      for (let k = 0; k < len; k++) s += String.fromCharCode(Math.floor(rand() * 0x10000));
      checkInvariants(s, normalizePath(s));
    }
  });
});

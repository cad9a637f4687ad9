// The glob matcher is hand-written (to avoid regex backtracking on attacker paths), so it is checked here
// against the obvious regex translation on many random patterns and paths.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { compilePathPattern } from '../../src/routing/index.js';
import { prng } from './helpers.js';

/** The reference: "**" segment -> zero or more "/segment", "*" -> [^/]*, trailing "/" -> prefix. */
function referenceRegex(pattern: string): RegExp {
  const isPrefix = pattern.length > 1 && pattern.endsWith('/');
  const body = isPrefix ? pattern.slice(0, -1) : pattern;
  let re = '^';
  for (const seg of body.split('/').slice(1)) {
    re += seg === '**' ? '(?:/[^/]*)*' : '/' + seg.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*');
  }
  if (isPrefix) re += '(?:/[^/]*)*';
  return new RegExp(re + '$');
}

describe('glob patterns agree with the regex reference', () => {
  test('random patterns x random paths', () => {
    const rand = prng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const patternSegs = ['a', 'b', 'ab', '*', '**', 'a*', '*b', 'a*b', '*a*', 'a*b*a', '*.x'];
    const pathSegs = ['a', 'b', 'ab', 'ba', 'aab', 'abab', 'a.x', '.x', 'x', ''];
    let compared = 0;
    for (let i = 0; i < 600; i++) {
      let pattern = '';
      const segs = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < segs; k++) pattern += '/' + pick(patternSegs);
      if (rand() < 0.3) pattern += '/';
      if (!pattern.includes('*')) continue;
      const compiled = compilePathPattern(pattern);
      assert.ok(compiled.ok, pattern);
      if (!compiled.ok) continue;
      const reference = referenceRegex(pattern);
      for (let j = 0; j < 40; j++) {
        let path = '';
        const n = 1 + Math.floor(rand() * 5);
        for (let k = 0; k < n; k++) path += '/' + pick(pathSegs);
        // Only normal paths reach the matcher: no empty segments except a trailing one.
        path = path.replace(/\/{2,}/g, '/');
        assert.equal(compiled.pattern.test(path), reference.test(path), `${pattern} vs ${path}`);
        compared++;
      }
    }
    assert.ok(compared > 10_000);
  });
});

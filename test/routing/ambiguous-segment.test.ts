// segmentAmbiguity's Unicode rules rest on a list of the code points NFKC keeps but whose case mappings are ASCII;
// this scan recomputes the list from the running Node's Unicode data, so a new Unicode version cannot slip by.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { segmentAmbiguity } from '../../src/routing/index.js';

/** Percent-encodes a string's UTF-8 bytes as normalizePath writes them (upper-case hex). */
function encoded(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => (b < 0x80 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase()}`)).join('');
}

const hasAscii = (s: string): boolean => /[\x00-\x7f]/.test(s);

test('every code point whose NFKC form or case mapping holds ASCII is refused; others with neither are not', () => {
  let refused = 0;
  let scanned = 0;
  // The Basic and Supplementary Multilingual Planes hold every such code point (a scan of all planes finds the same).
  for (let cp = 0x80; cp <= 0x1ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const ch = String.fromCodePoint(cp);
    const changedByNfkc = ch.normalize('NFKC') !== ch;
    const cases = [ch.toLowerCase(), ch.toUpperCase(), ch.toLowerCase().toUpperCase(), ch.toUpperCase().toLowerCase()];
    const toAscii = cases.some(hasAscii) || cases.some((c) => hasAscii(c.normalize('NFKC')));
    const ignorable = /\p{Default_Ignorable_Code_Point}/u.test(ch);
    // After "-", which composes with nothing (segment-level NFKC would fold "a" + U+0300 into "à", also refused).
    const got = segmentAmbiguity(`-${encoded(ch)}`);
    scanned++;
    if (changedByNfkc || toAscii || ignorable) {
      refused++;
      assert.notEqual(got, undefined, `U+${cp.toString(16)} (${ch}) must be refused`);
    } else if (got !== undefined) {
      assert.fail(`U+${cp.toString(16)} (${ch}) refused for no reason: ${got}`);
    }
  }
  assert.ok(refused > 4000 && refused < scanned / 10, `${refused} of ${scanned} refused`);
});

test('plain names, and names with safe characters, are not ambiguous', () => {
  for (const segment of ['admin', 'a.b', '.well-known', '~user', 'a~b', 'a:b', 'c%2B%2B', '50%25off', '100%25', '%C3%A9t%C3%A9', 'a;v=1', '%E6%97%A5']) {
    assert.equal(segmentAmbiguity(segment), undefined, segment);
  }
});

test('a combining mark that composes with the letter before it is refused (the segment is not in NFKC form)', () => {
  assert.match(segmentAmbiguity('a%CC%80dmin') ?? '', /NFKC/);
  assert.equal(segmentAmbiguity('%C3%A0dmin'), undefined, 'the composed form is fine');
});

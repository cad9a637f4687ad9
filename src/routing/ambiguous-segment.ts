/**
 * Checks one path segment, already in normal form, for spellings that common upstreams read as another name.
 * normalizePath refuses the whole request (400) when this finds anything: these are readings Gatehouse cannot
 * enumerate and judge (unlike case and ";" parameters, which the route table judges in every reading), so the
 * only safe answer is not to forward them.
 *
 * The segment is decoded once (as Go, Python, Java servlets, IIS and ASP.NET do before routing) and the decoded
 * text must not change under any further reading an upstream family applies:
 * - a second percent-decode (double encoding, and IIS's "%u" form);
 * - Windows/NTFS name rules (IIS, ASP.NET, any file server on Windows): trailing dots and spaces are trimmed,
 *   "name:stream:$TYPE" opens a stream of "name", "NAME~1" is an 8.3 short name for a longer name;
 * - UTF-8 decoding by lenient decoders (overlong forms such as %C0%AE for "."), Unicode normalisation (NFKC:
 *   fullwidth "．" is "."), and Unicode case mapping (Kelvin sign "K" lower-cases to ASCII "k").
 * Each ";"-separated piece is checked like a whole name, because Tomcat, Jetty and Spring drop the parameters
 * first ("admin.;x" is "admin." to them, and "admin" to Windows after that).
 */

// Code points outside ASCII that NFKC leaves alone but whose upper- or lower-case form holds ASCII letters
// (Java's String.toUpperCase("ß") is "SS", "ı".toUpperCase() is "I", "İ".toLowerCase() is "i" + U+0307).
// Found by scanning every code point (test/routing/ambiguous-segment.test.ts repeats the scan).
const CASE_MAPS_TO_ASCII: ReadonlySet<number> = new Set([0xdf, 0x130, 0x131, 0x1f0, 0x1e96, 0x1e97, 0x1e98, 0x1e99, 0x1e9e]);

// Characters no path needs and some readers drop (soft hyphen, zero-width joiners, bidi controls, BOM).
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;

/** Why a normal-form segment (ASCII, escapes upper-case) is ambiguous, or undefined when it is not. */
export function segmentAmbiguity(segment: string): string | undefined {
  const text = segment.includes('%') ? decodeUtf8(segment) : segment;
  if (text === undefined) return 'escapes that are not valid UTF-8 (overlong, truncated or surrogate forms)';
  let nonAscii = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const next = i + 1 < n ? text.charCodeAt(i + 1) : 0x3b; // the end closes a piece like ";"
    if ((c === 0x2e || c === 0x20 || c === 0x7e) && next === 0x3b) {
      // Windows trims trailing dots and spaces ("admin." and "admin " open "admin"); a trailing "~" is the
      // start of an 8.3 short name or an editor backup, read as the bare name by some servers.
      return 'a name ending in ".", " " or "~" (Windows-style servers trim it)';
    }
    if (c === 0x7e && next >= 0x30 && next <= 0x39) return 'a "~" followed by a digit (a Windows 8.3 short name)';
    if (c === 0x3a && next === 0x24) return 'an NTFS stream suffix (":$")';
    if (c === 0x25) {
      // Only "%25" can put a "%" here; followed by hex digits or "u" it decodes a second time elsewhere.
      if (isHex(next) && i + 2 < n && isHex(text.charCodeAt(i + 2))) return 'double percent-encoding ("%25" + hex digits)';
      if (next === 0x75 || next === 0x55) return 'double percent-encoding ("%25u")';
    }
    if (c >= 0x80) nonAscii = true;
  }
  if (nonAscii) {
    if (text.normalize('NFKC') !== text) return 'characters that Unicode normalisation (NFKC) changes, such as fullwidth or compatibility forms';
    if (IGNORABLE.test(text)) return 'invisible (default-ignorable) characters';
    for (const ch of text) {
      if (CASE_MAPS_TO_ASCII.has(ch.codePointAt(0)!)) return 'a character whose case mapping is ASCII (such as "ı", "ß" or "İ")';
    }
  }
  return undefined;
}

/** Percent-decodes a normal-form segment and decodes the bytes as strict UTF-8 (RFC 3629 §4); undefined if invalid. */
function decodeUtf8(segment: string): string | undefined {
  let out = '';
  const n = segment.length;
  let i = 0;
  while (i < n) {
    const b0 = byteAt(segment, i);
    i += segment.charCodeAt(i) === 0x25 ? 3 : 1;
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      continue;
    }
    // RFC 3629 §4 (UTF8-2 / UTF8-3 / UTF8-4): the first continuation byte's range depends on the lead byte, which
    // excludes overlong forms (C0, C1, E0 80-9F, F0 80-8F) and surrogates (ED A0-BF) and caps at U+10FFFF.
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    let cp: number;
    if (b0 >= 0xc2 && b0 <= 0xdf) { need = 1; cp = b0 & 0x1f; }
    else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2; cp = b0 & 0x0f;
      if (b0 === 0xe0) lo = 0xa0;
      if (b0 === 0xed) hi = 0x9f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3; cp = b0 & 0x07;
      if (b0 === 0xf0) lo = 0x90;
      if (b0 === 0xf4) hi = 0x8f;
    } else return undefined;
    for (let k = 0; k < need; k++) {
      if (i >= n || segment.charCodeAt(i) !== 0x25) return undefined; // continuation bytes are always escaped here
      const b = byteAt(segment, i);
      if (b < lo || b > hi) return undefined;
      lo = 0x80;
      hi = 0xbf;
      cp = (cp << 6) | (b & 0x3f);
      i += 3;
    }
    out += String.fromCodePoint(cp);
  }
  return out;
}

/** The byte at `i`: an escape's value (normal form guarantees two upper-case hex digits) or the ASCII character. */
function byteAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c === 0x25 ? hexDigit(s.charCodeAt(i + 1)) * 16 + hexDigit(s.charCodeAt(i + 2)) : c;
}

function hexDigit(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

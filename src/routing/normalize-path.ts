/**
 * Turns a raw HTTP request-target into the one canonical path that both the route table judges and the
 * upstream receives. Every bypass of a path-based gate is a disagreement between the gate's reading of a path
 * and the upstream's, so this module has two rules: normalise what RFC 3986 says is equivalent, and refuse
 * (400, GATE_ERR_BAD_PATH) what different upstreams are known to read differently and Gatehouse cannot judge
 * in every reading (ambiguous-segment.ts lists those readings: double decoding, Windows name trimming, NTFS
 * streams, 8.3 short names, lenient UTF-8, NFKC, Unicode case mappings into ASCII).
 *
 * Left to the route table, which judges a request in each of these readings and applies the strictest route:
 * - Case: the path keeps the client's case (the upstream receives it as sent); RouteTable.match also reads it
 *   case-folded, as Express, IIS, ASP.NET and many Java stacks do.
 * - Path parameters (";"): kept in `path` for the upstream; `matchPath` is the reading of Tomcat, Jetty and
 *   Spring, which drop them before routing ("/admin;x=1/panel" is "/admin/panel" to them).
 * - A trailing "/": Express and Spring before 6 serve "/x/" as "/x"; others do not.
 */

import { segmentAmbiguity } from './ambiguous-segment.js';

/** A request-target that may be judged: `path` goes upstream, `matchPath` is what the route table sees. */
export interface NormalizedTarget {
  readonly ok: true;
  /** Normalised path, ";" parameters intact; the upstream receives this (plus "?" + query when non-empty). */
  readonly path: string;
  /** `path` with every segment's ";..." parameters removed; give this to RouteTable.match. */
  readonly matchPath: string;
  /** The raw query without its "?" ("" when absent); queries never take part in matching. */
  readonly query: string;
  /**
   * The authority of an absolute-form target ("http://host:8080/p"), raw. RFC 9112 §3.2.2: a server MUST
   * then ignore the Host header and use this instead, so the caller matches and forwards with it.
   */
  readonly authority?: string;
}

/** A request-target that cannot be judged safely; `reason` is for the log and the 400 detail. */
export interface RefusedTarget {
  readonly ok: false;
  readonly reason: string;
}

export type NormalizePathResult = NormalizedTarget | RefusedTarget;

/** Longest raw path (before the query) accepted, in bytes. Node's header limit (16 KiB) bounds the rest. */
export const MAX_PATH_BYTES = 8192;

// RFC 9112 §3.2: a request-target has no whitespace or controls. Node's parser refuses most already, but this
// function must be safe on its own (it is also fed absolute-form authorities and tests). Code points above 0xFF
// cannot come off the wire (Node decodes the request line as latin1), so they mean a caller passed decoded text.
const FORBIDDEN_RAW = /[\u0000-\u0020\u007f\u0100-\uffff]/;

// The common case, a path already in normal form, is recognised by one test and returned as is: no escape, no
// backslash, no non-ASCII, no empty segment, no segment starting with "." (which covers "." and ".." and
// "..;x"; ".well-known" pays the slow path, which is harmless), and nothing segmentAmbiguity could object to in
// unescaped ASCII (a name or ";" piece ending in "." or "~", "~" before a digit, ":$").
const NEEDS_WORK = /[%\\\u0080-\u00ff]|\/\/|\/\.|[.~](?:[/;]|$)|~[0-9]|:\$/;

// RFC 9112 §3.2.2 absolute-form; only http(s) targets are ours to route.
const ABSOLUTE_FORM = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

const HEX = '0123456789ABCDEF';

/** Normalises a raw request-target (origin- or absolute-form); never throws, refuses what it cannot judge. */
export function normalizePath(rawTarget: string): NormalizePathResult {
  if (typeof rawTarget !== 'string') return refuse('request-target is not a string');
  try {
    return normalizeTarget(rawTarget);
  } catch {
    // Nothing below is expected to throw (a fuzz test holds it to that); if something does, fail closed.
    return refuse('request-target could not be parsed');
  }
}

function normalizeTarget(raw: string): NormalizePathResult {
  if (FORBIDDEN_RAW.test(raw)) return refuse('raw control character, space, NUL or non-latin1 character in request-target');

  let start = 0;
  let authority: string | undefined;
  if (raw.charCodeAt(0) !== 0x2f /* / */) {
    // "*" (asterisk-form, OPTIONS) and "host:port" (authority-form, CONNECT) name no path to route.
    const m = ABSOLUTE_FORM.exec(raw);
    if (m === null) return refuse('request-target must start with "/" or be an absolute http(s) URL');
    const scheme = (m[1] as string).toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') return refuse(`absolute-form with scheme "${scheme}" is not routed`);
    start = m[0].length;
    let end = start;
    while (end < raw.length) {
      const c = raw.charCodeAt(end);
      if (c === 0x2f || c === 0x3f || c === 0x23) break; // "/", "?", "#" end the authority (RFC 3986 §3.2)
      end++;
    }
    authority = raw.slice(start, end);
    if (authority === '') return refuse('absolute-form without a host');
    // RFC 9110 §4.2.4: userinfo in an http(s) URI is deprecated and a recipient SHOULD treat it as an error.
    if (authority.includes('@')) return refuse('absolute-form with userinfo');
    start = end;
  }

  // RFC 3986 §3.3-3.5: the path ends at the first "?" or "#". A fragment is never sent by conforming clients
  // (RFC 9112 §3.2 has none in origin-form); when a crafted one arrives it is dropped, never matched.
  let pathEnd = start;
  while (pathEnd < raw.length) {
    const c = raw.charCodeAt(pathEnd);
    if (c === 0x3f || c === 0x23) break;
    pathEnd++;
  }
  let query = '';
  if (raw.charCodeAt(pathEnd) === 0x3f /* ? */) {
    const hash = raw.indexOf('#', pathEnd + 1);
    query = raw.slice(pathEnd + 1, hash < 0 ? raw.length : hash);
  }
  if (pathEnd - start > MAX_PATH_BYTES) return refuse(`path longer than ${MAX_PATH_BYTES} bytes`);

  // RFC 3986 §6.2.3: with an authority, an empty path is equivalent to "/".
  const rawPath = pathEnd === start ? '/' : raw.slice(start, pathEnd);
  const resolved = NEEDS_WORK.test(rawPath) ? resolvePath(rawPath) : rawPath;
  if (typeof resolved !== 'string') return resolved;

  const matchPath = resolved.includes(';') ? stripParameters(resolved) : resolved;
  return authority === undefined
    ? { ok: true, path: resolved, matchPath, query }
    : { ok: true, path: resolved, matchPath, query, authority };
}

/**
 * Decodes unreserved escapes, refuses the ambiguous ones and resolves dot segments, returning the normal path
 * or the refusal. `rawPath` starts with "/" and holds no controls (checked by the caller).
 */
function resolvePath(rawPath: string): string | RefusedTarget {
  const segments: string[] = [];
  let trailingSlash = false;
  let seg = '';
  const n = rawPath.length;

  for (let i = 1; i <= n; i++) {
    const c = i < n ? rawPath.charCodeAt(i) : 0x2f; // a virtual "/" closes the last segment
    if (c === 0x2f) {
      const last = i === n;
      if (seg === '' || seg === '.') {
        // "//" is merged (most servers do; none gives an empty segment a meaning worth keeping), and "." is
        // dropped (RFC 3986 §5.2.4). Either at the end leaves the path ending in "/".
        if (last) trailingSlash = true;
      } else if (seg === '..') {
        // RFC 3986 §5.2.4 would silently stop at the root; upstreams disagree (some clamp, some 400, some
        // file servers walk out of their root), so a path that climbs above "/" is refused.
        if (segments.length === 0) return refuse('path climbs above the root with ".."');
        segments.pop();
        if (last) trailingSlash = true;
      } else {
        // "..;x" is ".." to Tomcat and Jetty (they drop ";" parameters first) but a plain name to others:
        // no single reading is safe, so it is refused.
        const semi = seg.indexOf(';');
        if (semi >= 0) {
          const name = seg.slice(0, semi);
          if (name === '.' || name === '..') return refuse('dot segment with ";" parameters');
        }
        const ambiguity = segmentAmbiguity(seg);
        if (ambiguity !== undefined) return refuse(`path segment with ${ambiguity}`);
        segments.push(seg);
        if (last) trailingSlash = false;
      }
      seg = '';
      continue;
    }
    if (c === 0x25 /* % */) {
      // RFC 3986 §2.1: "%" must be followed by two hex digits.
      const hi = i + 1 < n ? hexValue(rawPath.charCodeAt(i + 1)) : -1;
      const lo = i + 2 < n ? hexValue(rawPath.charCodeAt(i + 2)) : -1;
      if (hi < 0 || lo < 0) return refuse('malformed percent-escape');
      const v = hi * 16 + lo;
      i += 2;
      if (isUnreserved(v)) {
        // RFC 3986 §2.3 and §6.2.2.2: an escaped unreserved character is the character itself, so it is
        // decoded before dot segments are judged ("%2e%2e" is "..", "%61dmin" is "admin").
        seg += String.fromCharCode(v);
      } else if (v === 0x2f || v === 0x5c) {
        // An encoded "/" or "\" is data to RFC 3986 but a separator to upstreams that decode before routing.
        return refuse(v === 0x2f ? 'encoded "/" (%2F) in path' : 'encoded "\\" (%5C) in path');
      } else if (v === 0x3b || v === 0x3f || v === 0x23) {
        // Decoded, ";" starts parameters (Apache Shiro decodes before stripping them) and "?" or "#" end the path
        // (Apache httpd's mod_rewrite/mod_proxy re-split a decoded path: "/admin%3F.php" ran as "/admin").
        // RFC 3986 §2.2: a reserved character is only data while it stays encoded, and no common upstream keeps it so.
        return refuse(`encoded "${String.fromCharCode(v)}" (%${HEX[hi]}${HEX[lo]}) in path`);
      } else if (v < 0x20 || v === 0x7f) {
        // An encoded NUL truncates paths in C-based upstreams; encoded controls (%0A, %09) are trimmed or
        // split on by others. No legitimate path needs them.
        return refuse(v === 0 ? 'encoded NUL (%00) in path' : 'encoded control character in path');
      } else {
        // RFC 3986 §6.2.2.1: hex digits in an escape are case-insensitive; upper case is the normal form.
        seg += '%' + HEX[hi] + HEX[lo];
      }
      continue;
    }
    if (c === 0x5c /* \ */) {
      // WHATWG URL parsers (browsers, Node's URL, many frameworks) read "\" as "/", RFC 3986 parsers read it
      // as a name character. Converting would side with one family against upstreams of the other, so it is
      // refused. Browsers already turn "\" into "/" before sending, so only hand-made requests see the 400.
      return refuse('backslash in path');
    }
    if (c >= 0x80) {
      // Raw octets above 0x7E are not URI characters (RFC 3986 §2); percent-encode them (as browsers do) so
      // the gate and the upstream see one spelling.
      seg += '%' + HEX[c >> 4] + HEX[c & 15];
      continue;
    }
    seg += rawPath[i];
  }

  if (segments.length === 0) return '/';
  const joined = '/' + segments.join('/');
  return trailingSlash ? joined + '/' : joined;
}

/** Removes ";..." parameters from each segment of a normal path, merging segments that become empty. */
function stripParameters(path: string): string {
  const parts = path.split('/');
  const kept: string[] = [];
  let trailingSlash = false;
  for (let k = 1; k < parts.length; k++) {
    const part = parts[k] as string;
    const semi = part.indexOf(';');
    const name = semi < 0 ? part : part.slice(0, semi);
    if (name !== '') kept.push(name);
    // The path ends in "/" when its last segment is empty before or after stripping ("/admin/;x" -> "/admin/").
    if (k === parts.length - 1) trailingSlash = name === '';
  }
  if (kept.length === 0) return '/';
  const joined = '/' + kept.join('/');
  return trailingSlash ? joined + '/' : joined;
}

/** RFC 3986 §2.3: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~". */
function isUnreserved(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function refuse(reason: string): RefusedTarget {
  return { ok: false, reason };
}

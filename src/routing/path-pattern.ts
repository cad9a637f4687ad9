/**
 * Compiles a route's `match.path` into a test on a normalised matchPath. Three forms:
 * - "/x/" (ends in "/"): prefix; matches "/x", "/x/" and everything below it.
 * - "/x": exact.
 * - any pattern holding "*": a glob. "*" matches any characters (zero or more) inside ONE segment, "**" (a
 *   whole segment) matches zero or more segments. A glob ending in "/" is a prefix too ("/a/*\/" is "/a/*\/**").
 *
 * Globs are matched by hand, not by RegExp: the request path is the attacker's, and a backtracking regex with
 * several "*" or "**" is polynomial in its length. The matcher below is O(segments x tokens) with no
 * allocation per call.
 */
import { normalizePath } from './normalize-path.js';

export type PathPatternKind = 'exact' | 'prefix' | 'glob';

/** A matcher for one spelling of a pattern; `test` takes a path in normal form (a reading of it). */
export interface PathMatcher {
  readonly kind: PathPatternKind;
  readonly source: string;
  /** The first segment every matching path has ("api" for "/api/*\/x"), or undefined when it varies. */
  readonly firstSegment: string | undefined;
  test(path: string): boolean;
}

/** A compiled path pattern: the matcher for the pattern as written, and its case-folded twin. */
export interface PathPattern extends PathMatcher {
  /**
   * The same pattern with its ASCII letters lower-cased, for the case-folded reading: its `test` takes a path
   * lower-cased with String.prototype.toLowerCase (escapes' hex digits included, on both sides).
   */
  readonly folded: PathMatcher;
}

/** The result of compiling: the pattern, or a message saying what to write instead. */
export type CompilePathPatternResult = { ok: true; pattern: PathPattern } | { ok: false; problem: string };

// A glob token: the literal pieces of one segment split at "*" (["", ".php"] for "*.php"), or ANY for "**".
type Token = readonly string[] | null;
const ANY = null;

/** Compiles a route path pattern; refuses patterns that no normalised request path could ever match. */
export function compilePathPattern(source: string): CompilePathPatternResult {
  if (typeof source !== 'string' || source.charCodeAt(0) !== 0x2f) {
    return { ok: false, problem: 'expected a path starting with "/"' };
  }
  if (source.includes('?') || source.includes('#')) {
    return { ok: false, problem: 'a route path cannot hold "?" or "#": queries and fragments are never matched' };
  }
  // A rule is compared with normalised request paths, so a rule not in normal form ("/a//b", "/%7euser",
  // "/admin;x") would silently never match: a deny rule that never fires. Refuse it and say what to write.
  // ("*" is a sub-delim that normalisation leaves alone, so globs go through the same check.)
  const normal = normalizePath(source);
  if (!normal.ok) return { ok: false, problem: `path cannot be normalised: ${normal.reason}` };
  if (normal.path !== source) {
    return { ok: false, problem: `path is not in normal form; write "${normal.path}" (requests are normalised before matching)` };
  }
  if (normal.matchPath !== source) {
    return { ok: false, problem: 'a route path cannot hold ";" parameters: they are removed from request paths before matching' };
  }

  const body = source.length > 1 && source.endsWith('/') ? source.slice(0, -1) : source;
  for (const segment of body.split('/').slice(1)) {
    if (segment !== '**' && segment.includes('**')) {
      return { ok: false, problem: `"**" must be a whole segment (in "${segment}"); use "*" inside a segment` };
    }
  }
  const pattern = build(source);
  const lower = source.toLowerCase();
  const folded = lower === source ? pattern : Object.freeze(build(lower));
  return { ok: true, pattern: Object.freeze({ ...pattern, folded }) };
}

/**
 * The first letter outside ASCII in a pattern (decoded) that has another case, or undefined. A case-folding
 * upstream may fold it (Java's equalsIgnoreCase, .NET's OrdinalIgnoreCase), while the folded reading here only
 * folds ASCII, so such a pattern is only allowed on a case-sensitive route.
 */
export function nonAsciiCasedLetter(source: string): string | undefined {
  if (!source.includes('%')) return undefined;
  for (const ch of decodeURIComponent(source)) {
    if (ch.charCodeAt(0) >= 0x80 && (ch.toLowerCase() !== ch || ch.toUpperCase() !== ch)) return ch;
  }
  return undefined;
}

/** Builds the matcher of a validated pattern (normal form, "**" only as whole segments). */
function build(source: string): PathMatcher {
  const isPrefix = source.length > 1 && source.endsWith('/');
  const firstSegment = firstSegmentOf(source);
  if (!source.includes('*')) {
    if (source === '/') return { kind: 'prefix', source, firstSegment: undefined, test: () => true };
    if (isPrefix) {
      const base = source.slice(0, -1);
      return { kind: 'prefix', source, firstSegment, test: (p) => p.startsWith(source) || p === base };
    }
    return { kind: 'exact', source, firstSegment, test: (p) => p === source };
  }

  const body = isPrefix ? source.slice(0, -1) : source;
  const tokens: Token[] = [];
  for (const segment of body.split('/').slice(1)) {
    tokens.push(segment === '**' ? ANY : Object.freeze(segment.split('*')));
  }
  // A trailing "/" makes a glob a prefix: whatever follows the base is zero or more further segments.
  if (isPrefix) tokens.push(ANY);
  Object.freeze(tokens);
  // The literal segments before the first wildcard must lead every match ("/static/v1" for
  // "/static/v1/**/*.js"); one startsWith rejects most paths before the segment walk starts.
  const lead = source.slice(0, source.lastIndexOf('/', source.indexOf('*')));
  const test = lead === ''
    ? (p: string) => globMatch(tokens, p)
    : (p: string) => p.startsWith(lead) && (p.length === lead.length || p.charCodeAt(lead.length) === 0x2f) && globMatch(tokens, p);
  return { kind: 'glob', source, firstSegment, test };
}

/** The literal first segment of a pattern other than "/", or undefined when it holds a wildcard. */
function firstSegmentOf(source: string): string | undefined {
  if (source === '/') return undefined;
  const slash = source.indexOf('/', 1);
  const first = source.slice(1, slash < 0 ? source.length : slash);
  return first.includes('*') ? undefined : first;
}

/**
 * Wildcard matching at segment level (each token takes exactly one segment, ANY takes any number), with the
 * classic greedy algorithm that only ever backtracks to the last ANY: correct because the tokens between two
 * ANYs form a fixed-length block, and placing each block leftmost never loses a match.
 * Segments are walked by index into the path ("/a/b/" is "a", "b", ""), so nothing is allocated.
 */
function globMatch(tokens: readonly Token[], path: string): boolean {
  const n = path.length;
  let si = 1; // start of the current segment (just past its "/")
  let ti = 0;
  let anyTi = -1;
  let anySi = -1;
  while (si <= n) {
    const token = ti < tokens.length ? tokens[ti] : undefined;
    if (token === ANY) {
      anyTi = ti++;
      anySi = si;
      continue;
    }
    let end = path.indexOf('/', si);
    if (end < 0) end = n;
    if (token !== undefined && segmentMatch(token, path, si, end)) {
      ti++;
      si = end + 1;
    } else if (anyTi >= 0) {
      // Let the last ANY swallow one more segment and retry the block after it.
      ti = anyTi + 1;
      let anyEnd = path.indexOf('/', anySi);
      if (anyEnd < 0) anyEnd = n;
      anySi = anyEnd + 1;
      si = anySi;
    } else {
      return false;
    }
  }
  while (ti < tokens.length && tokens[ti] === ANY) ti++;
  return ti === tokens.length;
}

/** Whether path[start, end) matches one segment's pieces: first a prefix, last a suffix, the rest in order. */
function segmentMatch(parts: readonly string[], path: string, start: number, end: number): boolean {
  const first = parts[0] as string;
  if (parts.length === 1) return end - start === first.length && path.startsWith(first, start);
  const last = parts[parts.length - 1] as string;
  const lastStart = end - last.length;
  if (lastStart < start + first.length) return false;
  if (!path.startsWith(first, start) || !path.startsWith(last, lastStart)) return false;
  let pos = start + first.length;
  for (let k = 1; k < parts.length - 1; k++) {
    const piece = parts[k] as string;
    // Leftmost placement of each middle piece is optimal; the search stays inside the segment.
    let found = -1;
    for (let j = pos; j + piece.length <= lastStart; j++) {
      if (path.startsWith(piece, j)) {
        found = j;
        break;
      }
    }
    if (found < 0) return false;
    pos = found + piece.length;
  }
  return true;
}

// Property test of the routing layer's guarantee: for a random request path, the route that judges it is never
// looser than the route ANY upstream reading of the forwarded path would select, or the request is refused.
//
// The oracle here is written independently of src/routing: it models what upstream families do to the path they
// receive (percent-decoding once or twice, leniently, overlong UTF-8 included; dropping ";" parameters before or
// after decoding; cutting at a decoded "?" or "#"; NFKC; "\" as "/"; Windows trimming of trailing dots, spaces and
// "~" and of NTFS stream suffixes; Unicode upper/lower case; dot segments; one trailing "/"), and matches each
// reading against the route patterns with plain regular expressions, the pattern read the same way.
//
// Seeded (mulberry32): a failure prints the seed and the input. Replay with GATEHOUSE_PROPERTY_SEED=<seed>;
// GATEHOUSE_PROPERTY_CASES sets the number of cases per table (default 4000; the run also stops after 20 s).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouteTable, normalizePath, type CompiledRoute, type RouteTableOptions } from '../../src/routing/index.js';
import type { RoutePolicy } from '../../src/config/schema.js';
import { prng, route } from './helpers.js';

// The table under test: protected areas, public islands inside and beside them, a glob, an exact page, a
// capitalised pattern, a case-sensitive route, another upstream, a catch-all. Patterns are plain ASCII.
const ROUTES = [
  route('internal', '/internal/', { policy: 'deny' }),
  route('admin-help', '/admin/help', { policy: 'public' }),
  route('admin', '/admin/', { policy: { roles: ['admin'] }, websockets: true }),
  route('api-users', '/api/*/users', { policy: { roles: ['ops'] } }),
  route('pdf', '/files/*.pdf', { policy: 'public' }),
  route('secret-page', '/pages/secret', { policy: { roles: ['admin'] } }),
  route('mixed', '/Mixed/', { policy: 'authenticated' }),
  route('slug', '/s/abc', { policy: 'deny', caseSensitive: true }),
  route('public', '/public/', { policy: 'public', websockets: true }),
  route('other', '/other/', { policy: 'public', upstream: 'b' }),
  route('rest', '/', { policy: 'authenticated' }),
];

const WORDS = ['admin', 'ADMIN', 'Admin', 'aDmin', '%41dmin', '%61DMIN', 'internal', 'INTERNAL', 'Internal', 'public', 'PUBLIC',
  'help', 'HELP', 'api', 'v1', 'users', 'USERS', 'files', 'a.pdf', 'A.PDF', 'x.pdf.', 'pages', 'secret', 'SECRET', 'mixed', 'Mixed',
  'MIXED', 's', 'abc', 'ABC', 'other', 'OTHER', 'x'];
const PIECES = ['/', '/', '/', '//', '.', '..', '%2e', '%2E', '%2e%2e', '.%2e', ';', '%3b', '%3B', ';x=1', ';jsessionid=1', '?', '#',
  '%3f', '%23', '~', '~1', '%7e', '%20', ' ', '%09', '\\', '%5c', '%2f', '%252e', '%252f', '%25', '%2541', '%25u002e', '%c0%ae', '%c0%af',
  '%e0%80%ae', '%ef%bc%8e', '%ef%bc%8f', '%ef%bc%bc', '%ef%bd%81', '%e2%80%a5', '%e2%84%aa', '%c5%bf', '%c4%b1', '%c4%b0', '%c3%9f',
  '%c3%a9', '%C3%89', '%c2%a0', '%cc%81', '%c2%ad', '::$DATA', ':$i30:$INDEX_ALLOCATION', ':', '*', '+', '%2b', '\u00e9', '\u00c3\u00a9'];

// Spellings grown from paths the table routes, so the dangerous pieces land where they decide a route.
const BASES = ['/admin/x', '/admin/help', '/admin', '/internal/x', '/public/a', '/public/', '/api/v1/users', '/files/a.pdf',
  '/pages/secret', '/Mixed/x', '/s/abc', '/other/x', '/x/y', '/'];
const SUFFIXES = ['.', '%2e', '%20', '~', '~1', ';x', ';', '%3b', '%3f', '%23', '::$DATA', ':$i30:$INDEX_ALLOCATION', '%c0%ae', '%ef%bc%8e',
  '%c2%a0', '%c2%ad', '.;x', ';x.', '%252e', '%2525', '%09', '%00', '\\', '%5c', '%2f', '*', '%2a'];
const CLIMBS = ['..', '%2e%2e', '.%2e', '%2E.', '..;', '..;x', '..%3b', '..%3B', '%c0%ae%c0%ae', '%ef%bc%8e%ef%bc%8e', '%e2%80%a5', '..%c0%af',
  '..%2f', '..%5c', '..\\', '%252e%252e', '..%20', '.. ', '...', '..%00', '.%00.', '..%3f', '..%23', '%2e%2e;'];
const LOOKALIKES: Record<string, readonly string[]> = {
  i: ['%c4%b1', '%ef%bd%89', '%c4%b0', 'I'], k: ['%e2%84%aa'], s: ['%c5%bf', '%ef%bd%93', '%c3%9f'], a: ['%ef%bd%81', '%41', 'A'],
  '.': ['%ef%bc%8e', '%e2%80%a4', '%2e'], '/': ['%ef%bc%8f', '%2f', '\\'],
};

function pickFrom<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)] as T;
}

/** A routed path with one to three mutations: case, escapes, suffixes, climbs, lookalikes, slashes, parameters. */
function mutate(rand: () => number): string {
  const segs = pickFrom(rand, BASES).split('/').slice(1);
  const at = (): number => Math.floor(rand() * segs.length);
  for (let m = 1 + Math.floor(rand() * 3); m > 0; m--) {
    const k = at();
    const seg = segs[k] as string;
    switch (Math.floor(rand() * 8)) {
      case 0: // case
        segs[k] = rand() < 0.5 ? seg.toUpperCase() : [...seg].map((c) => (rand() < 0.5 ? c.toUpperCase() : c)).join('');
        break;
      case 1: { // one character percent-encoded, hex in either case
        if (seg === '') break;
        const j = Math.floor(rand() * seg.length);
        const hex = seg.charCodeAt(j).toString(16).padStart(2, '0');
        segs[k] = seg.slice(0, j) + '%' + (rand() < 0.5 ? hex : hex.toUpperCase()) + seg.slice(j + 1);
        break;
      }
      case 2:
        segs[k] = seg + pickFrom(rand, SUFFIXES);
        break;
      case 3: // climb out of a public area into the routed path
        segs.unshift('public', pickFrom(rand, CLIMBS));
        break;
      case 4: { // a lookalike for one character
        const j = [...seg].findIndex((c) => c.toLowerCase() in LOOKALIKES);
        if (j < 0) break;
        segs[k] = seg.slice(0, j) + pickFrom(rand, LOOKALIKES[(seg[j] as string).toLowerCase()]!) + seg.slice(j + 1);
        break;
      }
      case 5: // trailing slash, or an empty segment
        if (rand() < 0.5) segs.push('');
        else segs.splice(k, 0, '');
        break;
      case 6:
        segs[k] = seg + pickFrom(rand, [';x', ';jsessionid=1', ';', ';a=b;c']);
        break;
      default: // a free piece anywhere
        segs.splice(k, 0, pickFrom(rand, PIECES));
    }
  }
  return '/' + segs.join('/');
}

/** One random request-target: a mutated routed path, or words and dangerous pieces joined at random. */
function generate(rand: () => number): string {
  if (rand() < 0.6) return mutate(rand);
  const pick = (xs: readonly string[]): string => pickFrom(rand, xs);
  let out = '/';
  const n = 1 + Math.floor(rand() * 9);
  for (let i = 0; i < n; i++) {
    out += rand() < 0.55 ? pick(WORDS) : pick(PIECES);
    if (rand() < 0.6) out += '/';
  }
  return out;
}

// ---- the oracle: readings of a forwarded path --------------------------------------------------------------

/** Percent-decodes once, leniently: overlong and surrogate UTF-8 forms decode (old IIS, Java's modified UTF-8). */
function lenientDecode(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const hex = /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3));
    if (c === 0x25 && hex) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) bytes.push(c);
    else for (const b of Buffer.from(String.fromCharCode(c), 'utf8')) bytes.push(b);
  }
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i] as number;
    const need = b >= 0xf0 && b <= 0xf7 ? 3 : b >= 0xe0 ? (b <= 0xef ? 2 : 0) : b >= 0xc0 ? 1 : 0;
    let cp = need === 3 ? b & 7 : need === 2 ? b & 15 : b & 31;
    let ok = need > 0 && i + need < bytes.length + 0;
    for (let k = 1; ok && k <= need; k++) {
      const cb = bytes[i + k];
      if (cb === undefined || (cb & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (cb & 0x3f);
    }
    if (ok && cp <= 0x10ffff) {
      out += String.fromCodePoint(cp);
      i += need + 1;
    } else {
      out += String.fromCharCode(b); // a byte that starts nothing valid reads as Latin-1
      i += 1;
    }
  }
  return out;
}

const stripParams = (s: string): string => s.split('/').map((seg) => seg.split(';')[0]).join('/');
const truncate = (s: string): string => s.split(/[?#]/)[0] as string;
const windowsNames = (s: string): string => s.split('/').map((seg) => {
  const stream = seg.indexOf(':$');
  const name = stream >= 0 ? seg.slice(0, seg.indexOf(':')) : seg;
  return name.replace(/[. ~]+$/, '');
}).join('/');

/** Dot segments and empty segments resolved as every server does; "" and "." dropped, ".." clamped at the root. */
function resolve(s: string): string {
  const out: string[] = [];
  const segs = s.split('/');
  for (const seg of segs) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  const trailing = s.endsWith('/') || s.endsWith('/.') || s.endsWith('/..');
  return '/' + out.join('/') + (trailing && out.length > 0 ? '/' : '');
}

type Cased = 'as-is' | 'lower' | 'upper';

/** A reading of the forwarded path: its text as read, and the same reading without the case step. */
interface Reading {
  readonly steps: string;
  readonly text: string;
  readonly uncased: string;
  readonly cased: Cased;
}

/** Every reading of `path` the oracle knows, deduplicated by text. */
function readingsOf(path: string, withCase: boolean): Reading[] {
  const stage = (inputs: Map<string, string>, steps: readonly [string, (s: string) => string][]): Map<string, string> => {
    const out = new Map<string, string>();
    for (const [text, how] of inputs) {
      if (!out.has(text)) out.set(text, how);
      for (const [name, fn] of steps) {
        const next = fn(text);
        if (!out.has(next)) out.set(next, `${how} ${name}`);
      }
    }
    return out;
  };
  let s = new Map([[path, 'sent']]);
  s = stage(s, [['params', stripParams]]);
  s = stage(s, [['decode', lenientDecode], ['decode-twice', (x) => lenientDecode(lenientDecode(x))]]);
  s = stage(s, [['params-after-decode', stripParams]]);
  s = stage(s, [['cut-at-?#', truncate]]);
  s = stage(s, [['nfkc', (x) => x.normalize('NFKC')]]);
  s = stage(s, [['backslash', (x) => x.replaceAll('\\', '/')]]);
  s = stage(s, [['windows', windowsNames]]);
  const out: Reading[] = [];
  const seen = new Set<string>();
  for (const [text, how] of s) {
    for (const trailing of [false, true]) {
      let r = resolve(text);
      if (trailing) {
        if (r.length <= 1 || !r.endsWith('/')) continue;
        r = r.slice(0, -1);
      }
      const steps = trailing ? `${how} trim-slash` : how;
      const casings: Cased[] = withCase ? ['as-is', 'lower', 'upper'] : ['as-is'];
      for (const cased of casings) {
        const t = cased === 'lower' ? r.toLowerCase() : cased === 'upper' ? r.toUpperCase() : r;
        const key = `${cased} ${r}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ steps: cased === 'as-is' ? steps : `${steps} ${cased}`, text: t, uncased: r, cased });
      }
    }
  }
  return out;
}

/** The path-pattern.ts semantics as regular expressions: "/x/" prefix, "*" within a segment, "**" any depth. */
function patternRegex(pattern: string): RegExp {
  const isPrefix = pattern.length > 1 && pattern.endsWith('/');
  const body = isPrefix ? pattern.slice(0, -1) : pattern;
  if (pattern === '/') return /^\/.*$/s;
  let re = '^';
  for (const seg of body.split('/').slice(1)) {
    re += seg === '**' ? '(?:/[^/]*)*' : '/' + seg.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*');
  }
  if (isPrefix) re += '(?:/[^/]*)*';
  return new RegExp(re + '$', 's');
}

interface OracleRoute {
  readonly name: string;
  readonly policy: RoutePolicy;
  readonly upstream: string | undefined;
  readonly websockets: boolean;
  readonly caseSensitive: boolean;
  readonly re: Record<Cased, RegExp>;
}

function oracleRoutes(options: RouteTableOptions, routes = ROUTES): OracleRoute[] {
  return routes.map((r) => {
    const p = r.match.path;
    return {
      name: r.name, policy: r.policy, upstream: r.upstream, websockets: r.websockets,
      caseSensitive: r.match.case_sensitive ?? options.caseSensitive ?? false,
      re: { 'as-is': patternRegex(p), lower: patternRegex(p.toLowerCase()), upper: patternRegex(p.toUpperCase()) },
    };
  });
}

/** The route a reading selects: the first whose pattern (read the same way; case-sensitive ones unfolded) matches. */
function oracleMatch(routes: readonly OracleRoute[], reading: Reading): OracleRoute | undefined {
  return routes.find((r) => (r.caseSensitive ? r.re['as-is'].test(reading.uncased) : r.re[reading.cased].test(reading.text)));
}

/** Strictness for the oracle: public 0 < authenticated 1 < a role list 2; role lists compare by subset. */
function atLeastAsStrict(a: RoutePolicy, b: RoutePolicy): boolean {
  const rank = (p: RoutePolicy): number => (p === 'public' ? 0 : p === 'authenticated' ? 1 : p === 'deny' ? 3 : 2);
  if (rank(a) !== rank(b)) return rank(a) > rank(b);
  if (typeof a === 'object' && typeof b === 'object' && 'roles' in a && 'roles' in b) return a.roles.every((x) => b.roles.includes(x));
  return typeof a === 'string' && typeof b === 'string';
}

// ---- the property ---------------------------------------------------------------------------------------

interface RunStats { cases: number; refusedByPath: number; refusedByTable: number; forwarded: number; readings: number }

/** Checks one raw target; returns what happened, or throws an assertion naming the seed and the reading. */
function checkOne(raw: string, seed: number, table: ReturnType<typeof compileRouteTable>, oracle: readonly OracleRoute[],
  withCase: boolean, stats: RunStats): void {
  stats.cases++;
  const n = normalizePath(raw);
  if (!n.ok) {
    stats.refusedByPath++;
    return;
  }
  const judged: CompiledRoute | undefined = table.match(undefined, n, 'GET');
  if (judged === undefined || judged.config.policy === 'deny') {
    stats.refusedByTable++; // 404 or 403: nothing is forwarded
    return;
  }
  const where = (reading: Reading, found: OracleRoute | undefined, what: string): string =>
    `seed ${seed}: ${JSON.stringify(raw)} was forwarded as ${JSON.stringify(n.path)} judged by "${judged.name}" ` +
    `(${JSON.stringify(judged.config.policy)}, upstream ${judged.config.upstream}), but the reading [${reading.steps}] ` +
    `${JSON.stringify(reading.text)} selects ${found === undefined ? 'no route' : `"${found.name}" (${JSON.stringify(found.policy)}, upstream ${found.upstream})`}: ${what}`;
  const readings = readingsOf(n.path, withCase);
  stats.readings += readings.length;
  const selected = new Set<string>();
  for (const reading of readings) {
    const found = oracleMatch(oracle, reading);
    if (found === undefined) assert.fail(where(reading, found, 'an upstream could serve a path no route covers'));
    selected.add(found.name);
    if (found.policy === 'deny') assert.fail(where(reading, found, 'a deny route would have refused it'));
    if (found.upstream !== judged.config.upstream) assert.fail(where(reading, found, 'another upstream owns that reading'));
    if (!atLeastAsStrict(judged.config.policy, found.policy)) assert.fail(where(reading, found, 'the judged policy is looser'));
    if (judged.config.websockets && !found.websockets) assert.fail(where(reading, found, 'upgrades allowed where a reading forbids them'));
  }
  // The judge is the route of one of the readings (never stricter than the readings call for).
  assert.ok(selected.has(judged.name), `seed ${seed}: ${raw} judged by "${judged.name}", which no reading selects (${[...selected].join(', ')})`);
  // Invariants of what is forwarded that no reading models: no 8.3 short names, no raw characters outside ASCII.
  assert.ok(!/~[0-9]/.test(n.path) && !/[^\x21-\x7e]/.test(n.path), `seed ${seed}: ${raw} forwarded as ${n.path}`);
  stats.forwarded++;
}

const SEED = Number(process.env['GATEHOUSE_PROPERTY_SEED'] ?? 20240612);
const CASES = Number(process.env['GATEHOUSE_PROPERTY_CASES'] ?? 4000);
const BUDGET_MS = 20_000;

describe(`route verdicts agree with every upstream reading (seed ${SEED}, replay: GATEHOUSE_PROPERTY_SEED=${SEED})`, () => {
  const noCatchAll = ROUTES.filter((r) => r.match.path !== '/');
  for (const [label, options, withCase, routes] of [
    ['case-insensitive table (default)', {}, true, ROUTES],
    ['routing.case_sensitive: true (readings keep the case)', { caseSensitive: true }, false, ROUTES],
    ['no catch-all route (a reading may select none)', {}, true, noCatchAll],
  ] as const) {
    test(label, () => {
      const table = compileRouteTable(routes, options);
      const oracle = oracleRoutes(options, routes);
      const rand = prng(SEED);
      const stats: RunStats = { cases: 0, refusedByPath: 0, refusedByTable: 0, forwarded: 0, readings: 0 };
      const started = performance.now();
      for (let i = 0; i < CASES && performance.now() - started < BUDGET_MS; i++) {
        checkOne(generate(rand), SEED, table, oracle, withCase, stats);
      }
      console.log(`${label}: ${JSON.stringify(stats)} in ${Math.round(performance.now() - started)} ms`);
      // The generator must exercise both outcomes, or the property holds vacuously.
      assert.ok(stats.forwarded > stats.cases / 20, `too few forwarded cases: ${JSON.stringify(stats)}`);
      assert.ok(stats.refusedByPath > stats.cases / 20, `too few refused cases: ${JSON.stringify(stats)}`);
    });
  }

  test('the oracle notices a table that ignores the folded reading (so the property can fail)', () => {
    // Judged case-sensitively, "/ADMIN/x" goes to the catch-all, which a case-folding reading overrules.
    const table = compileRouteTable(ROUTES, { caseSensitive: true });
    const stats: RunStats = { cases: 0, refusedByPath: 0, refusedByTable: 0, forwarded: 0, readings: 0 };
    assert.throws(() => checkOne('/ADMIN/x', SEED, table, oracleRoutes({}), true, stats), /reading \[.*(lower|upper)\]/);
  });

  test('the path-level refusals are needed: without them, readings disagree', () => {
    // Each of these is refused by normalizePath; had it been forwarded as it is, some reading selects a stricter
    // route than the one matching its as-sent text. (Checks that the oracle's readings, not luck, keep them out.)
    const oracle = oracleRoutes({});
    for (const forwarded of ['/admin./x', '/admin%20/x', '/admin~/x', '/public/..%3B/admin/secret', '/%C0%AE%C0%AE/admin',
      '/public/%EF%BC%8E%EF%BC%8E/admin', '/public/..%C0%AF/admin', '/admin::$DATA/x', '/public/%252e%252e/admin', '/admin%3F/x',
      '/%E2%84%AAey/../admin', '/adm%C4%B1n/x']) {
      assert.equal(normalizePath(forwarded).ok, false, forwarded);
      const asSent = oracleMatch(oracle, { steps: 'sent', text: forwarded, uncased: forwarded, cased: 'as-is' });
      const stricter = readingsOf(forwarded, true).map((r) => oracleMatch(oracle, r))
        .find((r) => r !== undefined && asSent !== undefined && r.name !== asSent.name);
      assert.ok(stricter !== undefined, `${forwarded}: no reading disagrees with the as-sent one`);
    }
  });
});

/**
 * The route table: the configured routes compiled once at start-up (and on reload) into matchers that answer
 * "which route judges this request?" without parsing or regexes per request: one host normalisation, one
 * first-segment lookup, then only the routes that could match. Routes are tried in order and the first that
 * matches wins; no match is undefined (the caller decides, normally 404 or deny).
 *
 * Readings: upstreams disagree on what a path names, so a request is matched in every reading of its path that
 * a common upstream applies, and judged by the STRICTEST route any reading selects (the upstream still receives
 * the path exactly as normalised; it may read it any of these ways):
 * - with and without ";" parameters (Tomcat, Jetty and Spring drop them; Express, Go and Python keep them);
 * - with and without one trailing "/" (Express and Spring before 6 serve "/x/" as "/x"; Go and Python do not);
 * - as sent and case-folded (Express, IIS, ASP.NET and many Java stacks match paths case-insensitively), unless
 *   the route is case-sensitive (`routing.case_sensitive`, or the route's `match.case_sensitive`): then that
 *   route matches only the case as written, in every reading.
 * When all readings select one route, that route judges. Otherwise the routes must forward to the same upstream
 * and their policies must be ordered (policy-order.ts): the strictest judges, and upgrades pass only if every
 * selected route allows them. A reading that selects no route, or a deny route, refuses the request (404, 403);
 * readings that select different upstreams or unordered policies refuse it too (404). Nothing is ever judged
 * by a looser route than one an upstream could serve it as.
 *
 * Hosts: case-insensitive, port and one trailing dot ignored, on both sides. "*.example.com" matches one or
 * more labels before "example.com" ("a.example.com", "a.b.example.com") but NOT "example.com" itself: a
 * wildcard certificate covers exactly one label, and a bare apex usually serves something else; list the apex
 * as its own route when it should share the policy. A route without a host matches any host, and a request with
 * no or an invalid Host matches only such routes (the server should answer an invalid Host with 400).
 *
 * Methods: compared exactly (RFC 9110 §9.1: method names are case-sensitive; the config upper-cases them).
 * HEAD is not implied by GET: a route that allows GET but not HEAD does not match HEAD.
 */
import type { RouteConfig } from '../config/schema.js';
import { ConfigError, type ConfigProblem } from '../errors/index.js';
import { normalizeHost } from './normalize-host.js';
import type { NormalizedTarget } from './normalize-path.js';
import { compilePathPattern, nonAsciiCasedLetter, type PathPattern, type PathPatternKind } from './path-pattern.js';
import { comparePolicies } from './policy-order.js';

/** One route, compiled. `index` is its position in the config's `routes` list. */
export interface CompiledRoute {
  readonly name: string;
  readonly config: RouteConfig;
  readonly index: number;
  /** How `config.match.path` is matched. */
  readonly pathKind: PathPatternKind;
  /** Whether the path matches only in the case written (`match.case_sensitive`, else `routing.case_sensitive`). */
  readonly caseSensitive: boolean;
  /** The Upgrade protocols let through, lower-cased: websocket and `upgrade_protocols` with `websockets: true`, else none. */
  readonly upgradeProtocols: readonly string[];
}

/** The two spellings of a normalised path the table reads: `path` as forwarded, `matchPath` without ";" parameters. */
export type TargetPaths = Pick<NormalizedTarget, 'path' | 'matchPath'>;

/** The compiled route table; `match` is on the hot path of every request. */
export interface RouteTable {
  readonly routes: readonly CompiledRoute[];
  /**
   * The route that judges a request: the strictest route selected by any reading of the normalised target (see
   * above), for the raw Host header (or absolute-form authority) and the request method; undefined when none may.
   * A route with `websockets: true` comes back with `websockets: false` when another reading's route forbids them.
   */
  match(host: string | undefined, target: TargetPaths, method: string): CompiledRoute | undefined;
}

/** Table-wide settings (the config's `routing` section). */
export interface RouteTableOptions {
  /** `routing.case_sensitive`: the default for routes without `match.case_sensitive` (false: also read folded). */
  readonly caseSensitive?: boolean;
}

// How a route's host is compared: an exact key, or a suffix (".example.com" for "*.example.com").
type HostRule = { readonly exact: string } | { readonly suffix: string };

interface Matcher {
  readonly route: CompiledRoute;
  /** `route` with websockets off, for a request another reading of which selects a route without upgrades. */
  readonly withoutUpgrades: CompiledRoute;
  /** `route` letting only websocket through, for a request another reading of which selects other protocols. */
  readonly websocketOnly: CompiledRoute;
  readonly host: HostRule | undefined;
  readonly methods: ReadonlySet<string> | undefined;
  readonly path: PathPattern;
  readonly caseSensitive: boolean;
}

type Index = { readonly bySegment: ReadonlyMap<string, readonly Matcher[]>; readonly varying: readonly Matcher[] };

const UPPER = /[A-Z]/;

/** Compiles routes into a table, or throws a ConfigError listing every bad route at once. */
export function compileRouteTable(routes: readonly RouteConfig[], options: RouteTableOptions = {}): RouteTable {
  const problems: ConfigProblem[] = [];
  const matchers: Matcher[] = [];
  routes.forEach((config, index) => {
    const at = `routes[${index}].match`;
    const caseSensitive = config.match.case_sensitive ?? options.caseSensitive ?? false;
    const path = compilePathPattern(config.match.path);
    if (!path.ok) problems.push({ path: `${at}.path`, message: path.problem });
    const cased = path.ok && !caseSensitive ? nonAsciiCasedLetter(config.match.path) : undefined;
    if (cased !== undefined) {
      problems.push({
        path: `${at}.path`,
        message: `"${cased}" is a letter outside ASCII, which case-insensitive matching does not fold; set match.case_sensitive: true on this route`,
      });
    }

    let host: HostRule | undefined;
    if (config.match.host !== undefined) {
      const rule = compileHostRule(config.match.host);
      if (typeof rule === 'string') problems.push({ path: `${at}.host`, message: rule });
      else host = rule;
    }

    const methods = config.match.methods === undefined ? undefined : new Set<string>(config.match.methods);
    if (path.ok) {
      const upgradeProtocols = config.websockets
        ? Object.freeze([...new Set(['websocket', ...config.upgrade_protocols.map((p) => p.toLowerCase())])])
        : NO_PROTOCOLS;
      const route: CompiledRoute = Object.freeze({ name: config.name, config, index, pathKind: path.pattern.kind, caseSensitive, upgradeProtocols });
      const withoutUpgrades = config.websockets
        ? Object.freeze({ ...route, config: Object.freeze({ ...config, websockets: false, upgrade_protocols: [] }), upgradeProtocols: NO_PROTOCOLS })
        : route;
      const websocketOnly = upgradeProtocols.length > 1
        ? Object.freeze({ ...route, config: Object.freeze({ ...config, upgrade_protocols: [] }), upgradeProtocols: WEBSOCKET_ONLY })
        : route;
      matchers.push({ route, withoutUpgrades, websocketOnly, host, methods, path: path.pattern, caseSensitive });
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);

  const compiled = Object.freeze(matchers.map((m) => m.route));
  const anyHostRules = matchers.some((m) => m.host !== undefined);
  const exactIndex = buildIndex(matchers, (m) => m.path.firstSegment);
  // In the folded reading a route is looked up by its folded first segment (a case-sensitive one too: it then
  // tests the unfolded path, which can only match when the folded segments are equal).
  const foldedIndex = buildIndex(matchers, (m) => m.path.firstSegment?.toLowerCase());
  const anyFolding = matchers.some((m) => !m.caseSensitive);
  // A folding route written with capitals ("/Scripts/") differs between readings even for lower-case paths.
  const foldAlways = matchers.some((m) => !m.caseSensitive && UPPER.test(m.path.source));

  /** The first route matching one reading as it is spelled (the whole lookup when there is one reading). */
  function exactMatch(hostKey: string | undefined, path: string, method: string): Matcher | undefined {
    const slash = path.indexOf('/', 1);
    const candidates = exactIndex.bySegment.get(path.slice(1, slash < 0 ? path.length : slash)) ?? exactIndex.varying;
    for (let i = 0; i < candidates.length; i++) {
      const m = candidates[i] as Matcher;
      if (m.methods !== undefined && !m.methods.has(method)) continue;
      if (m.host !== undefined && (hostKey === undefined || !hostMatches(m.host, hostKey))) continue;
      if (m.path.test(path)) return m;
    }
    return undefined;
  }

  /**
   * The first route matching the case-folded reading of `path` (case-sensitive routes test `path` as spelled).
   * Kept apart from exactMatch, which is the whole per-request cost in the common case and stays the plain loop.
   */
  function foldedMatch(hostKey: string | undefined, path: string, method: string): Matcher | undefined {
    const folded = path.toLowerCase();
    const slash = folded.indexOf('/', 1);
    const candidates = foldedIndex.bySegment.get(folded.slice(1, slash < 0 ? folded.length : slash)) ?? foldedIndex.varying;
    for (let i = 0; i < candidates.length; i++) {
      const m = candidates[i] as Matcher;
      if (m.methods !== undefined && !m.methods.has(method)) continue;
      if (m.host !== undefined && (hostKey === undefined || !hostMatches(m.host, hostKey))) continue;
      if (m.caseSensitive ? m.path.test(path) : m.path.folded.test(folded)) return m;
    }
    return undefined;
  }

  /** Whether a reading also needs its folded twin (it differs from the as-sent reading only then). */
  const needsFold = (path: string): boolean => anyFolding && (foldAlways || UPPER.test(path));

  return Object.freeze({
    routes: compiled,
    match(rawHost: string | undefined, target: TargetPaths, method: string): CompiledRoute | undefined {
      // Normalise the Host once per request, and not at all when no route looks at it.
      const hostKey = anyHostRules ? normalizeHost(rawHost) : undefined;
      const base = target.matchPath;
      // The common case: one reading (no ";", no trailing "/", nothing to fold) is one lookup, as before readings.
      if (target.path === base && (base.length === 1 || base.charCodeAt(base.length - 1) !== 0x2f) && !needsFold(base)) {
        return exactMatch(hostKey, base, method)?.route;
      }
      const readings = [base];
      if (target.path !== base) readings.push(target.path);
      for (let i = readings.length - 1; i >= 0; i--) {
        const r = readings[i] as string;
        if (r.length > 1 && r.charCodeAt(r.length - 1) === 0x2f) readings.push(r.slice(0, -1));
      }
      const selected: (Matcher | undefined)[] = [];
      for (const r of readings) {
        selected.push(exactMatch(hostKey, r, method));
        if (needsFold(r)) selected.push(foldedMatch(hostKey, r, method));
      }
      return strictest(selected);
    },
  });
}

/**
 * The route that judges a request whose readings selected `selected` (the as-sent, parameters-stripped reading
 * first): undefined when any reading selects none, the first deny route when any selects one, undefined when the
 * rest disagree on the upstream or have unordered policies, else the strictest (ties keep the earliest reading's).
 */
function strictest(selected: readonly (Matcher | undefined)[]): CompiledRoute | undefined {
  let chosen: Matcher | undefined;
  let denied: Matcher | undefined;
  let upgrades = true;
  let protocols: readonly string[] | undefined;
  let sameProtocols = true;
  for (const m of selected) {
    if (m === undefined) return undefined;
    if (m.route.config.policy === 'deny') {
      denied ??= m;
      continue;
    }
    upgrades &&= m.route.config.websockets;
    protocols ??= m.route.upgradeProtocols;
    sameProtocols &&= sameList(protocols, m.route.upgradeProtocols);
    if (chosen === undefined || m === chosen) {
      chosen = m;
      continue;
    }
    if (m.route.config.upstream !== chosen.route.config.upstream) return undefined;
    const order = comparePolicies(m.route.config.policy, chosen.route.config.policy);
    if (order === undefined) return undefined;
    if (order > 0) chosen = m;
  }
  if (denied !== undefined) return denied.route;
  if (chosen === undefined) return undefined;
  // Every reading's route lets upgrades through (all have websockets: true, so all allow websocket); protocols
  // beyond websocket pass only when every reading's route lists the same ones.
  if (!upgrades) return chosen.withoutUpgrades;
  return sameProtocols ? chosen.route : chosen.websocketOnly;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((x) => b.includes(x)));
}

const NO_PROTOCOLS: readonly string[] = Object.freeze([]);
const WEBSOCKET_ONLY: readonly string[] = Object.freeze(['websocket']);

/**
 * Indexes routes by their first literal path segment (under `keyOf`): a route whose pattern starts with a literal
 * segment can only match paths with that first segment. Each list keeps config order (the literal routes for that
 * segment merged with the routes whose first segment varies), so "first match wins" is unchanged and a request
 * only walks the routes that could possibly match it.
 */
function buildIndex(matchers: readonly Matcher[], keyOf: (m: Matcher) => string | undefined): Index {
  const varying = matchers.filter((m) => keyOf(m) === undefined);
  const bySegment = new Map<string, readonly Matcher[]>();
  for (const segment of new Set(matchers.map(keyOf))) {
    if (segment === undefined) continue;
    bySegment.set(segment, matchers.filter((m) => keyOf(m) === undefined || keyOf(m) === segment));
  }
  return { bySegment, varying };
}

function hostMatches(rule: HostRule, host: string): boolean {
  if ('exact' in rule) return host === rule.exact;
  // At least one non-empty label must precede the suffix: "example.com" and ".example.com" do not match.
  return host.length > rule.suffix.length && host.endsWith(rule.suffix) && host.charCodeAt(0) !== 0x2e;
}

/** Compiles "example.com", "Example.COM.:8080", "[::1]" or "*.example.com"; a string is the problem. */
function compileHostRule(source: string): HostRule | string {
  if (source.startsWith('*.')) {
    const rest = normalizeHost(source.slice(2));
    if (rest === undefined || rest.includes('*') || rest.startsWith('[')) {
      return `expected "*.domain" with a valid domain, got ${JSON.stringify(source)}`;
    }
    return Object.freeze({ suffix: '.' + rest });
  }
  const key = normalizeHost(source);
  if (key === undefined || key.includes('*')) {
    return `expected a host name, IP address, "[IPv6]" or "*.domain" (a port is allowed and ignored), got ${JSON.stringify(source)}`;
  }
  return Object.freeze({ exact: key });
}

/**
 * The route table: the configured routes compiled once at start-up (and on reload) into matchers that answer
 * "which route judges this request?" without parsing or regexes per request: one host normalisation, one
 * first-segment lookup, then only the routes that could match. Routes are tried in order and the first that
 * matches wins; no match is undefined (the caller decides, normally 404 or deny).
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
import { compilePathPattern, type PathPattern, type PathPatternKind } from './path-pattern.js';

/** One route, compiled. `index` is its position in the config's `routes` list. */
export interface CompiledRoute {
  readonly name: string;
  readonly config: RouteConfig;
  readonly index: number;
  /** How `config.match.path` is matched. */
  readonly pathKind: PathPatternKind;
}

/** The compiled route table; `match` is on the hot path of every request. */
export interface RouteTable {
  readonly routes: readonly CompiledRoute[];
  /**
   * The first route matching the raw Host header (or absolute-form authority), the `matchPath` from
   * normalizePath (never the raw path) and the request method; undefined when none does.
   */
  match(host: string | undefined, matchPath: string, method: string): CompiledRoute | undefined;
}

// How a route's host is compared: an exact key, or a suffix (".example.com" for "*.example.com").
type HostRule = { readonly exact: string } | { readonly suffix: string };

interface Matcher {
  readonly route: CompiledRoute;
  readonly host: HostRule | undefined;
  readonly methods: ReadonlySet<string> | undefined;
  readonly path: PathPattern;
}

/** Compiles routes into a table, or throws a ConfigError listing every bad route at once. */
export function compileRouteTable(routes: readonly RouteConfig[]): RouteTable {
  const problems: ConfigProblem[] = [];
  const matchers: Matcher[] = [];
  routes.forEach((config, index) => {
    const at = `routes[${index}].match`;
    const path = compilePathPattern(config.match.path);
    if (!path.ok) problems.push({ path: `${at}.path`, message: path.problem });

    let host: HostRule | undefined;
    if (config.match.host !== undefined) {
      const rule = compileHostRule(config.match.host);
      if (typeof rule === 'string') problems.push({ path: `${at}.host`, message: rule });
      else host = rule;
    }

    const methods = config.match.methods === undefined ? undefined : new Set<string>(config.match.methods);
    if (path.ok) {
      const route: CompiledRoute = Object.freeze({ name: config.name, config, index, pathKind: path.pattern.kind });
      matchers.push({ route, host, methods, path: path.pattern });
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);

  const compiled = Object.freeze(matchers.map((m) => m.route));
  const anyHostRules = matchers.some((m) => m.host !== undefined);

  // Index by the request's first path segment: a route whose pattern starts with a literal segment can only
  // match paths with that first segment. Each list keeps config order (the literal routes for that segment
  // merged with the routes whose first segment varies), so "first match wins" is unchanged and a request
  // only walks the routes that could possibly match it.
  const varying = matchers.filter((m) => m.path.firstSegment === undefined);
  const bySegment = new Map<string, readonly Matcher[]>();
  for (const segment of new Set(matchers.map((m) => m.path.firstSegment))) {
    if (segment === undefined) continue;
    bySegment.set(segment, matchers.filter((m) => m.path.firstSegment === undefined || m.path.firstSegment === segment));
  }

  return Object.freeze({
    routes: compiled,
    match(rawHost: string | undefined, matchPath: string, method: string): CompiledRoute | undefined {
      // Normalise the Host once per request, and not at all when no route looks at it.
      const host = anyHostRules ? normalizeHost(rawHost) : undefined;
      const slash = matchPath.indexOf('/', 1);
      const candidates = bySegment.get(matchPath.slice(1, slash < 0 ? matchPath.length : slash)) ?? varying;
      for (let i = 0; i < candidates.length; i++) {
        const m = candidates[i] as Matcher;
        if (m.methods !== undefined && !m.methods.has(method)) continue;
        if (m.host !== undefined && (host === undefined || !hostMatches(m.host, host))) continue;
        if (m.path.test(matchPath)) return m.route;
      }
      return undefined;
    },
  });
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

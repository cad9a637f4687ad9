import type { IncomingHttpHeaders } from 'node:http';
import { GatehouseError } from '../errors/index.js';

/**
 * How each ingress asks forward-auth about a request, and how it wants the answer (docs/forward-auth.md):
 * - `nginx` (auth_request, ingress-nginx `auth-url`): the original request in `X-Original-URL` (absolute) and
 *   `X-Original-Method`; nginx accepts only 2xx, 401 and 403 from the subrequest (anything else becomes a 500), so
 *   every refusal is 401 or 403 and a browser is sent to sign in by nginx's `error_page 401` (see `start`).
 * - `traefik` (forwardAuth) and `caddy` (forward_auth): `X-Forwarded-Method`, `-Proto`, `-Host`, `-Uri`; the
 *   answer is relayed to the client as it is, so a browser gets the 302 to sign in directly.
 * - `envoy` (ext_authz, HTTP service): the original method, Host and headers, the original path appended to the
 *   `path_prefix` (`/.gatehouse/authz/envoy`); a non-2xx answer is relayed to the client like Traefik's.
 * - `start`: where nginx's `error_page 401` sends the request (with X-Original-URL) or a sign-in link names the
 *   original URL (`?rd=`, ingress-nginx `auth-signin`): answered as a browser expects, a 302 to sign in.
 */
export type Dialect = 'nginx' | 'traefik' | 'caddy' | 'envoy' | 'start';

/** Gatehouse's forward-auth endpoint; only the paths below it that `authzPath` names are answered. */
export const AUTHZ_PREFIX = '/.gatehouse/authz';
const ENVOY_PREFIX = `${AUTHZ_PREFIX}/envoy`;

/** What a raw request-target asks of forward-auth: a dialect (undefined: detect it from the headers), and Envoy's original target. */
export interface AuthzPath {
  readonly dialect: Dialect | undefined;
  /** Envoy only: the original request-target, as Envoy appended it to the path prefix. */
  readonly envoyTarget?: string;
}

/**
 * Whether a raw request-target (as sent, before any normalisation) is the forward-auth endpoint, and in which
 * dialect. Matched on the raw target, as `/.gatehouse/` is (case-sensitively, no `;` parameters): Envoy's form carries
 * another request's path after the prefix, which must be judged once, as that request, and never normalised into
 * this one. Undefined: not forward-auth; `'unknown'`: under the prefix but no dialect (404).
 */
export function authzPath(rawTarget: string): AuthzPath | 'unknown' | undefined {
  if (!rawTarget.startsWith(AUTHZ_PREFIX)) return undefined;
  const rest = rawTarget.slice(AUTHZ_PREFIX.length);
  if (rest === '' || rest[0] === '?') return { dialect: undefined };
  if (rest[0] !== '/') return undefined; // "/.gatehouse/authzX": an ordinary reserved path
  if (rawTarget.startsWith(ENVOY_PREFIX) && (rawTarget.length === ENVOY_PREFIX.length || rawTarget[ENVOY_PREFIX.length] === '/' || rawTarget[ENVOY_PREFIX.length] === '?')) {
    const original = rawTarget.slice(ENVOY_PREFIX.length);
    return { dialect: 'envoy', envoyTarget: original === '' || original[0] === '?' ? `/${original}` : original };
  }
  const name = rest.slice(1).split('?')[0];
  if (name === 'nginx' || name === 'traefik' || name === 'caddy' || name === 'start') return { dialect: name };
  return 'unknown';
}

/** The original request, as the ingress described it. */
export interface OriginalRequest {
  readonly method: string;
  readonly scheme: 'http' | 'https';
  /** The Host the original request named (with its port, as sent). */
  readonly host: string;
  /** The request-target as the client sent it (origin-form), not yet normalised: the judge does that. */
  readonly target: string;
}

/** The dialect the headers speak, for the bare `/.gatehouse/authz`: X-Original-URL is nginx's, X-Forwarded-Uri Traefik's and Caddy's. */
export function detectDialect(headers: IncomingHttpHeaders): 'nginx' | 'traefik' | undefined {
  if (headers['x-original-url'] !== undefined) return 'nginx';
  if (headers['x-forwarded-uri'] !== undefined) return 'traefik';
  return undefined;
}

const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/; // RFC 9110 §9.1: a token
// scheme://authority[target]: the authority is kept as sent (the judge checks it as a Host), the target raw.
const ABSOLUTE = /^(https?):\/\/([^/?#\s@\\]+)([/?][^\s#]*)?$/i;

/**
 * Reads the original request from a forward-auth request, or the 400 to answer when the headers do not describe
 * one. The caller has already checked that the peer is a trusted proxy: these headers are believed from nobody else.
 */
export function readOriginal(dialect: Exclude<Dialect, 'start'> | 'start', headers: IncomingHttpHeaders, method: string,
  envoyTarget: string | undefined, fallbackScheme: 'http' | 'https'): OriginalRequest | GatehouseError {
  switch (dialect) {
    case 'nginx':
    case 'start': {
      const url = single(headers['x-original-url']);
      const parts = url === undefined ? null : ABSOLUTE.exec(url);
      if (parts === null) return bad('X-Original-URL must be the original absolute URL ($scheme://$http_host$request_uri)');
      const originalMethod = single(headers['x-original-method']) ?? (dialect === 'start' ? 'GET' : undefined);
      if (originalMethod === undefined || !METHOD.test(originalMethod)) return bad('X-Original-Method must be the original method ($request_method)');
      const target = parts[3] ?? '/';
      return { method: originalMethod, scheme: parts[1]!.toLowerCase() as 'http' | 'https', host: parts[2]!, target: target[0] === '?' ? `/${target}` : target };
    }
    case 'traefik':
    case 'caddy': {
      const originalMethod = single(headers['x-forwarded-method']);
      const proto = single(headers['x-forwarded-proto'])?.toLowerCase();
      const host = single(headers['x-forwarded-host']);
      const uri = single(headers['x-forwarded-uri']);
      if (originalMethod === undefined || !METHOD.test(originalMethod)) return bad('X-Forwarded-Method must be the original method');
      if (proto !== 'http' && proto !== 'https') return bad('X-Forwarded-Proto must be http or https');
      if (host === undefined || host === '') return bad('X-Forwarded-Host must be the original Host');
      if (uri === undefined || (uri[0] !== '/' && uri !== '*')) return bad('X-Forwarded-Uri must be the original request-target (a path and query)');
      return { method: originalMethod, scheme: proto, host, target: uri };
    }
    case 'envoy': {
      const host = headers.host;
      if (host === undefined || host === '') return bad('Envoy sends the original Host');
      const proto = single(headers['x-forwarded-proto'])?.toLowerCase();
      return { method, scheme: proto === 'http' || proto === 'https' ? proto : fallbackScheme, host, target: envoyTarget ?? '/' };
    }
  }
}

/**
 * One value of a header that must be stated once. Node joins repeated X- headers with ", ", which no valid method,
 * URL, host or target here contains, so two copies fail the checks above: ambiguity is refused, never guessed.
 */
function single(value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return value;
}

function bad(message: string): GatehouseError {
  return new GatehouseError('GATE_ERR_FORWARD_AUTH_BAD_REQUEST', message);
}

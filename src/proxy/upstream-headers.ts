import type { IncomingHttpHeaders } from 'node:http';
import { hopByHopNames, isFixedHopByHop } from './hop-by-hop.js';
import type { ClientAddress } from './client-address.js';
import { TOKEN_SHAPE_SOURCE } from '../sessions/token.js';

/**
 * Headers dropped from every request before it is forwarded: the forwarding headers Gatehouse sets itself, and
 * the ones that some frameworks believe about the request's URL, method, scheme or client (X-Original-URL and
 * X-HTTP-Method-Override would let a request judged as `GET /public/x` act as `DELETE /admin/users` on IIS,
 * Symfony, Zend or Express method-override stacks). Compared with "_" read as "-".
 */
const SET_BY_GATEHOUSE = new Set([
  'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-real-ip',
  'x-forwarded-port', 'x-forwarded-prefix', 'x-forwarded-ssl', 'x-forwarded-scheme', 'x-forwarded-server', 'x-url-scheme',
  'x-original-url', 'x-rewrite-url', 'x-original-uri', 'x-http-method-override', 'x-http-method', 'x-method-override',
  'true-client-ip', 'x-client-ip', 'cf-connecting-ip', 'x-cluster-client-ip', 'fastly-client-ip',
  // The request id is Gatehouse's (a trusted proxy's, validated): a client's own copy never reaches the upstream.
  'x-request-id',
]);

/** What decides which incoming headers go upstream; built once per config snapshot. */
export interface HeaderPolicy {
  readonly isIdentityHeader: (lowerName: string) => boolean;
  /** Whether a cookie (by name) is Gatehouse's own: session, CSRF and login-transaction cookies never go upstream. */
  readonly isOwnCookie: (name: string) => boolean;
}

/** A bearer credential in Gatehouse's session-token shape: ours, so it is not the upstream's business. */
const OWN_BEARER = new RegExp(`^bearer\\s+${TOKEN_SHAPE_SOURCE}\\s*$`, 'i');

/**
 * Builds the header list sent upstream from the raw incoming headers: drops hop-by-hop headers, every header that
 * could pose as identity, the forwarding headers Gatehouse recomputes, and Gatehouse's own credentials (its cookies
 * and a bearer session token: an upstream that saw them could replay them against the SSO API); then adds
 * X-Forwarded-* and the identity headers of the caller (if any). Works on rawHeaders so repeats keep their order.
 */
export function buildUpstreamHeaders(
  rawHeaders: readonly string[],
  connectionHeader: IncomingHttpHeaders['connection'],
  policy: HeaderPolicy,
  client: ClientAddress,
  identity: readonly (readonly [string, string])[],
  requestId?: string,
): string[] {
  const drop = hopByHopNames(connectionHeader);
  // The verdict on a name depends only on the policy and the hop-by-hop list, so with the fixed list (a Connection
  // header naming nothing more: nearly every request) it is remembered per raw spelling.
  const memo = isFixedHopByHop(drop) ? verdictsOf(policy) : undefined;
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    let verdict = memo?.get(name);
    if (verdict === undefined) {
      verdict = verdictOn(name.toLowerCase(), drop, policy);
      if (memo !== undefined && memo.size < MAX_REMEMBERED_NAMES) memo.set(name, verdict);
    }
    if (verdict === Verdict.Drop) continue;
    let value = rawHeaders[i + 1]!;
    if (verdict === Verdict.Cookie) {
      value = withoutOwnCookies(value, policy.isOwnCookie);
      if (value === '') continue;
    } else if (verdict === Verdict.Authorization && OWN_BEARER.test(value)) {
      continue;
    }
    out.push(name, value);
  }
  out.push('X-Forwarded-For', client.forwardedFor, 'X-Forwarded-Proto', client.forwardedProto);
  if (client.forwardedHost !== undefined) out.push('X-Forwarded-Host', client.forwardedHost);
  if (requestId !== undefined) out.push('X-Request-Id', requestId);
  for (const [name, value] of identity) out.push(name, value);
  return out;
}

/** What happens to one incoming header: passed as is, dropped, or passed after a look at its value. */
const enum Verdict { Keep, Drop, Cookie, Authorization }

/** Header names are the client's: the memo stops growing here (a client cannot make it large). */
const MAX_REMEMBERED_NAMES = 512;

const verdictMemos = new WeakMap<HeaderPolicy, Map<string, Verdict>>();

function verdictsOf(policy: HeaderPolicy): Map<string, Verdict> {
  let memo = verdictMemos.get(policy);
  if (memo === undefined) verdictMemos.set(policy, (memo = new Map()));
  return memo;
}

function verdictOn(lower: string, drop: ReadonlySet<string>, policy: HeaderPolicy): Verdict {
  if (drop.has(lower) || SET_BY_GATEHOUSE.has(lower.replaceAll('_', '-')) || policy.isIdentityHeader(lower)) return Verdict.Drop;
  return lower === 'cookie' ? Verdict.Cookie : lower === 'authorization' ? Verdict.Authorization : Verdict.Keep;
}

function withoutOwnCookies(header: string, isOwn: (name: string) => boolean): string {
  if (!header.includes('=')) return header;
  if (!header.includes(';')) return isOwn(header.slice(0, header.indexOf('=')).trim()) ? '' : header.trim();
  return header.split(';').filter((pair) => {
    const eq = pair.indexOf('=');
    return !isOwn((eq === -1 ? pair : pair.slice(0, eq)).trim());
  }).map((p) => p.trim()).filter((p) => p !== '').join('; ');
}

/** Gatehouse's own cookie names: the configured session cookie and everything under the gatehouse prefixes. */
export function ownCookieMatcher(sessionCookieName: string): (name: string) => boolean {
  return (name) => name === sessionCookieName || name.startsWith('__Host-gatehouse') || name.startsWith('gatehouse-') ||
    name.startsWith('__Secure-gatehouse');
}

/**
 * Copies response headers from upstream, minus hop-by-hop ones and X-Request-Id, into the flat [name, value, ...]
 * list `writeHead` takes, ending with the X-Request-Id the request was logged under (Gatehouse's, not the
 * upstream's). One list written once: no `setHeader` before `writeHead`, which would send Node down its slower path
 * that merges an object of headers into the ones already set (a few percent of a forward, measured in profiles).
 */
export function filterResponseHeaders(headers: Record<string, string | string[] | undefined>, requestId: string): (string | string[])[] {
  const drop = hopByHopNames(headers['connection']);
  const out: (string | string[])[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || drop.has(name) || name === 'x-request-id') continue;
    out.push(name, value);
  }
  out.push('X-Request-Id', requestId);
  return out;
}

import type { GatehouseConfig } from '../config/index.js';

const HOSTS = new WeakMap<GatehouseConfig, readonly string[]>();

/**
 * The hosts `rd` may name besides this site: `auth.allowed_redirect_hosts` and every host a route names
 * (`match.host`, wildcards included), so a sign-in started by forward-auth for a protected host returns there. A
 * route without a host matches any Host header but allows no redirect: only names written down count.
 */
export function redirectHostsOf(config: GatehouseConfig): readonly string[] {
  let hosts = HOSTS.get(config);
  if (hosts === undefined) {
    const named = config.routes.map((r) => r.match.host).filter((h): h is string => h !== undefined);
    hosts = Object.freeze([...new Set([...config.auth.allowed_redirect_hosts, ...named])]);
    HOSTS.set(config, hosts);
  }
  return hosts;
}

/**
 * Where a browser may be sent after login or logout (`rd`). Only a path on this site, or an absolute URL on a host
 * listed in `auth.allowed_redirect_hosts` or named by a route (redirectHostsOf); anything else falls back to "/". The checks follow how browsers
 * actually parse URLs (WHATWG URL): they strip tab/CR/LF and treat "\" like "/", so "/\evil.com" and "/\t/evil.com"
 * are protocol-relative to a browser even though they look like paths (the open-redirect classes in RFC 9700 §4.11).
 */
export function safeRedirectTarget(rd: string | null | undefined, publicUrl: string, allowedHosts: readonly string[]): string {
  const fallback = '/';
  if (typeof rd !== 'string' || rd === '' || rd.length > 2048) return fallback;
  // Control characters and whitespace (raw or left over from a double decode) have no place in a redirect.
  if (/[\u0000-\u0020\u007f-\u00a0\u1680\u180e\u2000-\u200f\u2028\u2029\u202f\u205f\u3000\ufeff]/.test(rd)) return fallback;
  if (rd.includes('\\')) return fallback;
  if (/%(?:0[0-9a-f]|1[0-9a-f]|20|5c|7f)/i.test(rd)) return fallback;
  const site = new URL(publicUrl);
  if (rd.startsWith('/')) {
    if (rd.startsWith('//')) return fallback;
    // Resolve against our own origin and make sure it stays there (belt and braces for any parser quirk).
    let resolved: URL;
    try {
      resolved = new URL(rd, site.origin);
    } catch {
      return fallback;
    }
    if (resolved.origin !== site.origin) return fallback;
    // Dot segments are resolved by the parser: "/.//evil.com" comes out as "//evil.com", protocol-relative.
    const target = resolved.pathname + resolved.search + resolved.hash;
    return target.startsWith('//') ? fallback : target;
  }
  let url: URL;
  try {
    url = new URL(rd);
  } catch {
    return fallback;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && site.protocol === 'http:')) return fallback;
  if (url.username !== '' || url.password !== '') return fallback;
  // The raw text must say the same host the parser found: "https://good.com@evil.com" and friends are refused above,
  // and a host with odd characters that a parser might read differently is refused here.
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (host === site.hostname.toLowerCase() || hostAllowed(host, allowedHosts)) return url.href;
  return fallback;
}

function hostAllowed(host: string, allowed: readonly string[]): boolean {
  for (const entry of allowed) {
    const rule = entry.toLowerCase().replace(/\.$/, '');
    if (rule.startsWith('*.')) {
      if (host.endsWith(rule.slice(1)) && host.length > rule.length - 1) return true;
    } else if (host === rule) {
      return true;
    }
  }
  return false;
}

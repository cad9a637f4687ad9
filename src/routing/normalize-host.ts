/**
 * Reduces a Host header value (or a route's host, or an absolute-form authority) to the key routes are matched
 * on: lower case (RFC 3986 §3.2.2: host is case-insensitive), without the port and without one trailing dot
 * (the fully-qualified spelling of the same DNS name). IPv6 literals keep their brackets and are not
 * re-canonicalised ("[0::1]" and "[::1]" stay different keys); write routes with the spelling clients send.
 */

// RFC 3986 §3.2.2 reg-name: unreserved / pct-encoded / sub-delims, already lower-cased.
const REG_NAME = /^[a-z0-9._~!$&'()*+,;=%-]+$/;
// An IP-literal with an IPv6 address (IPvFuture is not accepted: no client sends it).
const IPV6_LITERAL = /^\[[0-9a-f:.]+\]$/;
const PORT = /^[0-9]*$/;

/** The matching key for a host[:port], or undefined when the value is not a valid host (RFC 9112 §3.2: 400). */
export function normalizeHost(raw: string | undefined): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 1024) return undefined;
  if (raw.charCodeAt(0) === 0x5b /* [ */) {
    const close = raw.indexOf(']');
    if (close < 0) return undefined;
    const rest = raw.slice(close + 1);
    if (rest !== '' && (rest.charCodeAt(0) !== 0x3a /* : */ || !PORT.test(rest.slice(1)))) return undefined;
    const literal = raw.slice(0, close + 1).toLowerCase();
    return IPV6_LITERAL.test(literal) ? literal : undefined;
  }
  let host = raw;
  const colon = host.lastIndexOf(':');
  if (colon >= 0) {
    // A reg-name or IPv4 address holds no ":", so everything after the last one is the port (RFC 3986 §3.2.3);
    // an unbracketed IPv6 address fails the port test and is refused.
    if (!PORT.test(host.slice(colon + 1))) return undefined;
    host = host.slice(0, colon);
  }
  host = host.toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  return REG_NAME.test(host) ? host : undefined;
}

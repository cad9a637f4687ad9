import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** Who sent a request, judged from the socket and, only when the peer is a trusted proxy, X-Forwarded-For. */
export interface ClientAddress {
  /** The client's IP as Gatehouse believes it (for logs, throttling, audit). */
  ip: string;
  /** The X-Forwarded-For value to send upstream. */
  forwardedFor: string;
  /** The X-Forwarded-Proto value to send upstream. */
  forwardedProto: string;
  /** The X-Forwarded-Host value to send upstream. */
  forwardedHost: string | undefined;
}

/** `server.trusted_proxies`, compiled: which peers' X-Forwarded-* headers are believed. */
export interface TrustedProxies {
  has(ip: string): boolean;
}

const NOBODY: TrustedProxies = { has: () => false };
/** Peers are few (load balancers, ingress pods); answers are remembered, within a bound. */
const MEMO_MAX = 4096;

/** Compiles `server.trusted_proxies` (IPs and CIDRs) into a lookup. */
export function compileTrustedProxies(entries: readonly string[]): TrustedProxies {
  if (entries.length === 0) return NOBODY;
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/');
    const type = isIPv6(address ?? '') ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address!, type);
    else list.addSubnet(address!, Number(bits), type);
  }
  const memo = new Map<string, boolean>();
  return {
    has(ip) {
      let answer = memo.get(ip);
      if (answer === undefined) {
        answer = isIPv4(ip) ? list.check(ip, 'ipv4') : isIPv6(ip) ? list.check(ip, 'ipv6') : false;
        if (memo.size >= MEMO_MAX) memo.clear();
        memo.set(ip, answer);
      }
      return answer;
    },
  };
}

/** Strips the IPv4-mapped IPv6 prefix ("::ffff:1.2.3.4") so one rule covers both spellings. */
export function plainIp(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Works out the client's address and the X-Forwarded-* values. Incoming X-Forwarded-* are believed only from a
 * trusted peer; the client is then the right-most address in the chain that is not itself a trusted proxy (the
 * left-most entries are whatever the client chose to send, so they prove nothing).
 */
export function resolveClientAddress(
  trusted: TrustedProxies,
  remoteAddress: string | undefined,
  encrypted: boolean,
  headers: { 'x-forwarded-for'?: string | string[]; 'x-forwarded-proto'?: string | string[]; 'x-forwarded-host'?: string | string[]; host?: string },
): ClientAddress {
  const peer = plainIp(remoteAddress);
  const ownProto = encrypted ? 'https' : 'http';
  if (!trusted.has(peer)) {
    return { ip: peer, forwardedFor: peer, forwardedProto: ownProto, forwardedHost: headers.host };
  }
  const incoming = headers['x-forwarded-for'];
  const chain = (Array.isArray(incoming) ? incoming.join(',') : incoming ?? '')
    .split(',').map((s) => plainIp(s.trim())).filter((s) => s !== '');
  chain.push(peer);
  let client = peer;
  for (let i = chain.length - 1; i >= 0; i--) {
    client = chain[i]!;
    if (!trusted.has(client)) break;
  }
  const proto = firstValue(headers['x-forwarded-proto'])?.split(',')[0]?.trim().toLowerCase();
  const host = firstValue(headers['x-forwarded-host'])?.split(',')[0]?.trim();
  return {
    ip: client,
    forwardedFor: chain.join(', '),
    forwardedProto: proto === 'http' || proto === 'https' ? proto : ownProto,
    forwardedHost: host || headers.host,
  };
}

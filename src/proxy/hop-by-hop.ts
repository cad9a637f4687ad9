/**
 * Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, so a proxy must not forward them. Headers
 * named in `Connection` are hop-by-hop too. `expect` is answered by Node itself (100-continue) and undici refuses it.
 */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'expect', 'http2-settings',
]);

/**
 * Names a Connection header may not remove (issue 12 §3): the Host and framing that were judged and are forwarded,
 * and the credentials that were read. `Connection: Host` made the upstream get its own address as Host (the
 * client's was judged). The headers Gatehouse states itself (X-Forwarded-*, identity) are added after the client's
 * are filtered, so no Connection token can reach them either.
 */
const NEVER_HOP_BY_HOP = new Set(['host', 'content-length', 'authorization', 'cookie']);

const CONNECTION_OPTIONS_ONLY = /^\s*(?:keep-alive|close)\s*$/i;

/** The lower-cased header names to drop: the fixed list plus every token in the Connection header(s) but NEVER_HOP_BY_HOP. */
export function hopByHopNames(connectionHeader: string | string[] | undefined): Set<string> {
  if (connectionHeader === undefined) return HOP_BY_HOP;
  // The common values name nothing beyond the fixed list: no allocation on the hot path.
  if (typeof connectionHeader === 'string' && CONNECTION_OPTIONS_ONLY.test(connectionHeader)) return HOP_BY_HOP;
  const names = new Set(HOP_BY_HOP);
  for (const value of Array.isArray(connectionHeader) ? connectionHeader : [connectionHeader]) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '' && !NEVER_HOP_BY_HOP.has(name)) names.add(name);
    }
  }
  return names;
}

/** Whether `names` (from hopByHopNames) is the fixed list alone: the Connection header named nothing beyond it. */
export function isFixedHopByHop(names: ReadonlySet<string>): boolean {
  return names === HOP_BY_HOP;
}

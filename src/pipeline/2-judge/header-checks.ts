import { isForbiddenUpgrade, UPGRADE_PROTOCOL } from '../../proxy/config-schema.js';

/**
 * Checks on the request's header block that no route can make right, so the judge refuses them before routing.
 *
 * Singletons: Node keeps the first of two Host or Authorization headers and joins two Cookie headers, while other
 * parsers keep the last, join, or refuse; the raw list is forwarded, so with two copies the upstream could read a
 * Host, credential or cookie other than the one that was judged (issue 12 §3: two Host headers were a 502 counted as
 * an upstream error). RFC 9110 §7.2 allows one Host; RFC 6265 §5.4 one Cookie; Authorization is one credential.
 */
const SINGLETONS = ['host', 'authorization', 'cookie', 'proxy-authorization'] as const;

/** The name (lower-cased) of a singleton header the request carries more than once, if any. */
export function repeatedSingleton(rawHeaders: readonly string[]): string | undefined {
  let seen = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    // Cheap length filter first: header names are compared case-insensitively only when they could be a singleton.
    if (name.length !== 4 && name.length !== 6 && name.length !== 13 && name.length !== 19) continue;
    const index = SINGLETONS.indexOf(name.toLowerCase() as (typeof SINGLETONS)[number]);
    if (index < 0) continue;
    const bit = 1 << index;
    if ((seen & bit) !== 0) return SINGLETONS[index];
    seen |= bit;
  }
  return undefined;
}

/** What an Upgrade request offers, or why it cannot be judged. */
export type UpgradeOffer = { readonly ok: true; readonly protocols: readonly string[] } | { readonly ok: false; readonly reason: string };

/**
 * Reads an Upgrade request's offer: the protocols of its Upgrade header(s), in order. Refused: a malformed or empty
 * list, h2c (isForbiddenUpgrade), and a request with a body. The bytes after an upgrade request's headers are the
 * new protocol to Node (they arrive as `head`), but an upstream would read a Content-Length or chunked body as the
 * request's body first: two readings of one byte stream, so such a request is never forwarded (RFC 6455 §4.1
 * handshakes have no body).
 */
export function readUpgradeOffer(headers: { readonly upgrade?: string | undefined; readonly 'content-length'?: string | undefined;
  readonly 'transfer-encoding'?: string | undefined }): UpgradeOffer {
  if (headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'].trim() !== '0')) {
    return { ok: false, reason: 'an upgrade request may not carry a body' };
  }
  const protocols: string[] = [];
  for (const item of (headers.upgrade ?? '').split(',')) {
    const protocol = item.trim();
    if (protocol === '') continue;
    if (!UPGRADE_PROTOCOL.test(protocol)) return { ok: false, reason: 'malformed Upgrade header' };
    if (isForbiddenUpgrade(protocol)) return { ok: false, reason: `upgrades to ${protocol} are never forwarded` };
    protocols.push(protocol);
  }
  if (protocols.length === 0) return { ok: false, reason: 'an upgrade request must name a protocol' };
  return { ok: true, protocols };
}

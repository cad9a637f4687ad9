import { z } from 'zod';

/** RFC 9110 §7.8: an Upgrade protocol is `protocol-name ["/" protocol-version]`, both tokens. */
export const UPGRADE_PROTOCOL = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:\/[!#$%&'*+.^_`|~0-9A-Za-z-]+)?$/;

/**
 * Whether a protocol may never be forwarded as an upgrade, whatever a route says: h2c (and HTTP/2 or HTTP/x by any
 * name) turns the connection into one that carries many requests Gatehouse never sees ("h2c smuggling").
 */
export function isForbiddenUpgrade(protocol: string): boolean {
  const name = protocol.toLowerCase().split('/')[0]!;
  return name === 'h2c' || name === 'h2' || name === 'http' || name === 'https';
}

/**
 * A route's `upgrade_protocols`: with `websockets: true`, the protocols beyond `websocket` an Upgrade may ask for on
 * that route (e.g. `tcp` for Docker's attach), compared case-insensitively as written; h2c is refused here too.
 */
export const upgradeProtocolsSchema = z.array(z.string().superRefine((protocol, ctx) => {
  if (!UPGRADE_PROTOCOL.test(protocol)) {
    ctx.addIssue({ code: 'custom', message: 'expected a protocol name, optionally with "/" and a version (RFC 9110 §7.8), such as "tcp"' });
  } else if (isForbiddenUpgrade(protocol)) {
    ctx.addIssue({ code: 'custom', message: `${protocol} is never forwarded as an upgrade: the connection would carry requests Gatehouse does not judge` });
  }
})).default([]);

import type { IncomingHttpHeaders } from 'node:http';
import { hopByHopNames } from './hop-by-hop.js';
import type { ClientAddress } from './client-address.js';

/** Headers Gatehouse sets itself on the way upstream; any incoming copy is dropped first. */
const SET_BY_GATEHOUSE = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-real-ip']);

/**
 * Builds the header list sent upstream from the raw incoming headers: drops hop-by-hop headers, every header that
 * could pose as identity, and the forwarding headers Gatehouse recomputes; then adds X-Forwarded-* and the identity
 * headers of the caller (if any). Works on rawHeaders so repeated headers keep their order.
 */
export function buildUpstreamHeaders(
  rawHeaders: readonly string[],
  connectionHeader: IncomingHttpHeaders['connection'],
  isIdentityHeader: (name: string) => boolean,
  client: ClientAddress,
  identity: readonly (readonly [string, string])[],
  keepUpgrade: boolean,
): string[] {
  const drop = hopByHopNames(connectionHeader);
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (keepUpgrade && (lower === 'upgrade' || lower === 'connection')) continue; // re-added below, cleanly
    if (drop.has(lower) || SET_BY_GATEHOUSE.has(lower) || isIdentityHeader(lower)) continue;
    out.push(name, rawHeaders[i + 1]!);
  }
  out.push('X-Forwarded-For', client.forwardedFor, 'X-Forwarded-Proto', client.forwardedProto);
  if (client.forwardedHost !== undefined) out.push('X-Forwarded-Host', client.forwardedHost);
  for (const [name, value] of identity) out.push(name, value);
  return out;
}

/** Copies response headers from upstream, minus hop-by-hop ones, into the shape `writeHead` takes. */
export function filterResponseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const drop = hopByHopNames(headers['connection']);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || drop.has(name)) continue;
    out[name] = value;
  }
  return out;
}

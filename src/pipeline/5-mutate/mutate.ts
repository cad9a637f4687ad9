import type { IncomingHttpHeaders } from 'node:http';
import type { RouteConfig } from '../../config/index.js';
import type { ClientAddress } from '../../proxy/client-address.js';
import { identityHeaders } from '../../proxy/identity-headers.js';
import { buildUpstreamHeaders } from '../../proxy/upstream-headers.js';
import type { RequestContext } from '../context.js';
import type { Identity } from '../3-authenticate/identity.js';
import type { RuntimeTable } from '../runtime-table.js';

/** One header as a name and a value. */
export type Header = readonly [string, string];

/**
 * One statement Gatehouse makes about an allowed, authenticated caller (Oathkeeper's mutators): the identity
 * headers, the signed assertion (signed-assertion.ts). The headers are appended to the forwarded request, or
 * returned to the proxy that asked forward-auth. Mutators run in list order and never see client headers: those
 * are stripped by the stage itself, before any mutator adds a name. A mutator that must do work off the event loop
 * (signing) returns a promise; one that cannot make its statement throws a GatehouseError, and the request is
 * refused with it rather than forwarded without the statement.
 */
export interface Mutator {
  readonly name: string;
  headers(identity: Identity, table: RuntimeTable, ctx: RequestContext, route: RouteConfig): readonly Header[] | Promise<readonly Header[]>;
}

/**
 * The identity headers (`<prefix>User-Id`, Email, Name, Roles, Orgs), derived once per identity object (the session
 * authenticators keep one per cached session) and per prefix.
 */
export function identityHeadersMutator(): Mutator {
  const cache = new WeakMap<Identity, { prefix: string; headers: Header[] }>();
  return {
    name: 'identity-headers',
    headers(identity, table) {
      const prefix = table.config.server.identity_header_prefix;
      const cached = cache.get(identity);
      if (cached !== undefined && cached.prefix === prefix) return cached.headers;
      const headers = identityHeaders(prefix, identity);
      cache.set(identity, { prefix, headers });
      return headers;
    },
  };
}

const NONE: readonly Header[] = Object.freeze([]);

function concat(parts: readonly (readonly Header[])[]): readonly Header[] {
  const nonEmpty = parts.filter((p) => p.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? NONE;
  return nonEmpty.flat();
}

/** The mutate stage. */
export interface Mutate {
  /**
   * What the mutators state about the caller on `route` (nothing for an anonymous caller on a public route); a
   * promise when a mutator had to sign. Throws (or rejects with) the GatehouseError to answer when a statement the
   * route requires cannot be made.
   */
  assertions(identity: Identity | undefined, table: RuntimeTable, ctx: RequestContext, route: RouteConfig): readonly Header[] | Promise<readonly Header[]>;
  /**
   * The header list sent upstream: the client's headers minus hop-by-hop ones, every header that could pose as
   * identity or as a forwarding statement, and Gatehouse's own credentials (cookies, bearer session token); then
   * X-Forwarded-*, X-Request-Id and the assertions. Upgrade and Connection are hop-by-hop, so never in it: the Upgrade
   * transport re-adds them cleanly.
   */
  upstreamHeaders(rawHeaders: readonly string[], connection: IncomingHttpHeaders['connection'], table: RuntimeTable,
    client: ClientAddress, assertions: readonly Header[], requestId?: string): string[];
}

/** Builds the mutate stage over an ordered list of mutators (default: the identity headers). */
export function createMutate(mutators: readonly Mutator[] = [identityHeadersMutator()]): Mutate {
  const list = [...mutators];
  return {
    assertions(identity, table, ctx, route) {
      if (identity === undefined || list.length === 0) return NONE;
      if (list.length === 1) return list[0]!.headers(identity, table, ctx, route);
      const parts = list.map((mutator) => mutator.headers(identity, table, ctx, route));
      // The common case (every mutator answered from its cache) stays synchronous.
      if (parts.every((p) => !(p instanceof Promise))) return concat(parts as readonly (readonly Header[])[]);
      return Promise.all(parts).then(concat);
    },
    upstreamHeaders(rawHeaders, connection, table, client, assertions, requestId) {
      return buildUpstreamHeaders(rawHeaders, connection, table.headerPolicy, client, assertions, requestId);
    },
  };
}

// Builders shared by the stage tests: a real runtime table from a config object (as the YAML loader validates it),
// request facts as a transport would fill them, and a request context. No sockets: pools are opened lazily by
// undici and never connect here.
import type { IncomingHttpHeaders } from 'node:http';
import { configObject, validConfig } from '../helpers/core-net.js';
import { RequestContext, RequestIds, type RequestFacts } from '../../src/pipeline/context.js';
import { buildRuntimeTable, type RuntimeTable } from '../../src/pipeline/runtime-table.js';
import type { Identity } from '../../src/pipeline/3-authenticate/identity.js';

/** A runtime table over one upstream `app` (http://127.0.0.1:9, never contacted) with these routes. */
export function tableOf(routes: unknown[], server: Record<string, unknown> = {}): RuntimeTable {
  return buildRuntimeTable(validConfig(configObject({ app: 'http://127.0.0.1:9' }, routes, { server })));
}

/** Closes the (unused) pools of a table. */
export async function closeTable(table: RuntimeTable): Promise<void> {
  await Promise.all([...table.upstreams.values()].map((u) => u.pool.destroy()));
}

/** Request facts as the HTTP transport fills them from a request on a socket from `peer`. */
export function facts(target: string, options: { method?: string; host?: string; peer?: string; headers?: IncomingHttpHeaders; upgrade?: boolean; encrypted?: boolean } = {}): RequestFacts {
  const headers: IncomingHttpHeaders = { host: options.host ?? 'gatehouse.test', ...options.headers };
  return {
    method: options.method ?? 'GET', target, host: headers.host, peer: options.peer ?? '192.0.2.7',
    encrypted: options.encrypted ?? false, headers, upgrade: options.upgrade ?? false,
  };
}

const IDS = new RequestIds('test');

/** A fresh request context. */
export function context(method = 'GET'): RequestContext {
  return new RequestContext(IDS, method);
}

/** Identities the tables use. */
export const ALICE: Identity = { userId: 'u-alice', email: 'alice@example.test', name: 'Alice', roles: ['admin'], orgs: [{ slug: 'acme', role: 'owner' }] };
export const BOB: Identity = { userId: 'u-bob', email: 'bob@example.test', name: 'Bob', roles: [], orgs: [{ slug: 'globex', role: 'member' }] };

import { GatehouseError } from '../../errors/index.js';
import { normalizeHost, normalizePath, type CompiledRoute } from '../../routing/index.js';
import { resolveClientAddress, type ClientAddress } from '../../proxy/client-address.js';
import type { RequestFacts } from '../context.js';
import type { RuntimeTable } from '../runtime-table.js';
import { isReservedPath } from './reserved-paths.js';
import { readUpgradeOffer, repeatedSingleton } from './header-checks.js';

/** What the judge concluded about a request before any identity or policy work. */
export type Judgement =
  | { readonly kind: 'refused'; readonly label: string; readonly client: ClientAddress; readonly error: GatehouseError }
  | { readonly kind: 'reserved'; readonly client: ClientAddress; readonly path: string; readonly query: string }
  | {
    readonly kind: 'route'; readonly client: ClientAddress; readonly route: CompiledRoute; readonly pathAndQuery: string;
    /** The protocols an Upgrade request offers (empty for other requests); authorize checks them against the route. */
    readonly upgrade: readonly string[];
  };

const NO_PROTOCOLS: readonly string[] = Object.freeze([]);

/**
 * The judge stage: client address, header block checks (a repeated Host, credential or cookie; an Upgrade offer
 * that can never be forwarded), path normalisation, Host checks, reserved paths, route match, in that order.
 * Pure over its inputs (the facts and the snapshot), so HTTP requests, upgrades and forward-auth judge alike, and
 * the upstream gets exactly the path that was judged (DESIGN.md, "Judged = executed").
 */
export function judge(facts: RequestFacts, table: RuntimeTable): Judgement {
  const client = resolveClientAddress(table.trustedProxies, facts.peer, facts.encrypted, facts.headers);
  const repeated = facts.rawHeaders === undefined ? undefined : repeatedSingleton(facts.rawHeaders);
  if (repeated !== undefined) {
    return { kind: 'refused', label: '_invalid', client, error: new GatehouseError('GATE_ERR_BAD_REQUEST', `more than one ${repeated} header`) };
  }
  let upgrade = NO_PROTOCOLS;
  if (facts.upgrade) {
    const offer = readUpgradeOffer(facts.headers);
    if (!offer.ok) return { kind: 'refused', label: '_invalid', client, error: new GatehouseError('GATE_ERR_BAD_REQUEST', offer.reason) };
    upgrade = offer.protocols;
  }
  const target = normalizePath(facts.target);
  if (!target.ok) return { kind: 'refused', label: '_invalid', client, error: new GatehouseError('GATE_ERR_BAD_PATH', `bad request path: ${target.reason}`) };
  // RFC 9112 §3.2.2: for an absolute-form target, its authority is the host, whatever the Host header says.
  const host = target.authority ?? facts.host;
  if (host !== undefined && normalizeHost(host) === undefined) {
    return { kind: 'refused', label: '_invalid', client, error: new GatehouseError('GATE_ERR_BAD_REQUEST', 'bad Host header') };
  }
  // The upstream gets the Host header; refuse a target whose authority says otherwise, so both judge one host.
  if (target.authority !== undefined && normalizeHost(target.authority) !== normalizeHost(facts.host)) {
    return { kind: 'refused', label: '_invalid', client, error: new GatehouseError('GATE_ERR_BAD_REQUEST', 'the request target names another host than the Host header') };
  }
  if (isReservedPath(target.matchPath)) return { kind: 'reserved', client, path: target.path, query: target.query };
  const route = table.routes.match(host, target, facts.method);
  if (route === undefined) return { kind: 'refused', label: '_none', client, error: new GatehouseError('GATE_ERR_NOT_FOUND', 'no route matches this request') };
  const pathAndQuery = target.query === '' ? target.path : `${target.path}?${target.query}`;
  return { kind: 'route', client, route, pathAndQuery, upgrade };
}

import { SigningUnavailableError } from '../../errors/index.js';
import type { RouteConfig } from '../../config/index.js';
import type { AssertionSigner } from '../../signing/assertion.js';
import type { RuntimeTable } from '../runtime-table.js';
import type { Header, Mutator } from './mutate.js';

/** A route's assertion settings, resolved against the global default. */
interface RouteAssertion {
  readonly enabled: boolean;
  readonly audience: string;
}

/**
 * The signed identity assertion (issue 17): on routes where `signed_identity` is on (the route's block, else the
 * global `signed_identity.enabled`), a JWT in `signed_identity.header` stating who the caller is, for `aud` = the
 * route's `audience` (default: its upstream's URL as written). Signed assertions are cached per (session, audience)
 * by the signer. Without a signer (no store) or without a usable key, a route that needs the assertion is refused
 * with 503 (SigningUnavailableError): never forwarded unsigned.
 */
export function signedAssertionMutator(signer: AssertionSigner | undefined): Mutator {
  const resolved = new WeakMap<RouteConfig, RouteAssertion>();
  const NONE: readonly Header[] = Object.freeze([]);
  return {
    name: 'signed-assertion',
    headers(identity, table, _ctx, route) {
      let settings = resolved.get(route);
      if (settings === undefined) resolved.set(route, (settings = resolve(route, table)));
      if (!settings.enabled) return NONE;
      const { header, lifetime } = table.config.signed_identity;
      if (signer === undefined) return unavailable();
      const token = signer.assertion(identity, settings.audience, lifetime);
      return typeof token === 'string' ? [[header, token]] : token.then((t): readonly Header[] => [[header, t]]);
    },
  };
}

function resolve(route: RouteConfig, table: RuntimeTable): RouteAssertion {
  const own = route.signed_identity;
  const enabled = own === undefined ? table.config.signed_identity.enabled : typeof own === 'boolean' ? own : own.enabled;
  const upstreamUrl = route.upstream === undefined ? '' : table.config.upstreams[route.upstream]?.url ?? '';
  const audience = typeof own === 'object' && own.audience !== undefined ? own.audience : upstreamUrl;
  return { enabled, audience };
}

function unavailable(): never {
  throw new SigningUnavailableError('signed_identity is on for this route but this Gatehouse has no store to keep keys in');
}

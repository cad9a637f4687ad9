import type { Actor } from '../../actors/actor.js';
import type { EndpointRouter } from '../../http/endpoint-router.js';
import type { AuthDeps } from '../auth-deps.js';
import { callbackEndpoint } from './callback-endpoint.js';
import { TransactionSealer } from './login-transaction.js';
import { callbackPath, ProviderRegistry } from './provider-registry.js';
import { startEndpoint } from './start-endpoint.js';

/** The path that starts a login with a provider. */
export function startPath(id: string): string {
  return `/.gatehouse/oauth/${id}/start`;
}

/** What OAuth login adds to an instance. */
export interface OAuthRuntime {
  readonly registry: ProviderRegistry;
  /** The providers' HTTP clients, closed at stop. */
  readonly actor: Actor;
  /** Where unauthenticated browsers go when `auth.default_provider` is set (its start, with `rd`). */
  readonly signInUrl: ((rd: string) => string) | undefined;
}

/**
 * Registers OAuth / OpenID Connect login (docs/oauth.md): one start and one callback endpoint per configured
 * provider and the transaction sealer (its key shared through the store). Nothing is fetched from a provider here:
 * discovery happens at the first login, so a provider that is down never stops Gatehouse starting.
 */
export async function installOAuth(endpoints: EndpointRouter, deps: AuthDeps): Promise<OAuthRuntime | undefined> {
  const { auth } = deps.config;
  if (auth.providers.length === 0) return undefined;
  const sealer = await TransactionSealer.create({ settings: deps.store.settings, attempts: deps.store.loginAttempts, secure: deps.cookie.secure });
  const registry = new ProviderRegistry(auth.providers, deps.config.server.public_url, deps.metrics);
  for (const provider of registry.all()) {
    endpoints
      .add('GET', startPath(provider.id), startEndpoint(deps, provider, sealer))
      .add('GET', callbackPath(provider.id), callbackEndpoint(deps, provider, sealer));
  }
  const fallback = auth.default_provider;
  return {
    registry,
    actor: { name: 'oauth-providers', start: () => undefined, stop: () => registry.close() },
    signInUrl: fallback === undefined ? undefined : (rd) => `${startPath(fallback)}?rd=${encodeURIComponent(rd)}`,
  };
}

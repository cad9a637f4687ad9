import type { App } from '../../app.js';
import type { AuthDeps } from '../auth-deps.js';
import { callbackEndpoint } from './callback-endpoint.js';
import { TransactionSealer } from './login-transaction.js';
import { callbackPath, ProviderRegistry } from './provider-registry.js';
import { startEndpoint } from './start-endpoint.js';

/** The path that starts a login with a provider. */
export function startPath(id: string): string {
  return `/.gatehouse/oauth/${id}/start`;
}

/**
 * Wires OAuth / OpenID Connect login into an app (docs/oauth.md): one start and one callback endpoint per
 * configured provider, the transaction sealer (its key shared through the store), the providers' HTTP clients as
 * an actor (closed at stop), and `auth.default_provider` as the ingress's login redirect. Nothing is fetched from
 * a provider here: discovery happens at the first login, so a provider that is down never stops Gatehouse starting.
 */
export async function installOAuth(app: App, deps: AuthDeps): Promise<ProviderRegistry | undefined> {
  const { auth } = deps.config;
  if (auth.providers.length === 0) return undefined;
  const sealer = await TransactionSealer.create({ settings: deps.store.settings, attempts: deps.store.loginAttempts, secure: deps.cookie.secure });
  const registry = new ProviderRegistry(auth.providers, deps.config.server.public_url, deps.metrics);
  for (const provider of registry.all()) {
    app.endpoints
      .add('GET', startPath(provider.id), startEndpoint(deps, provider, sealer))
      .add('GET', callbackPath(provider.id), callbackEndpoint(deps, provider, sealer));
  }
  app.addActor({ name: 'oauth-providers', start: () => undefined, stop: () => registry.close() });
  const fallback = auth.default_provider;
  if (fallback !== undefined) app.setLoginRedirect((rd) => `${startPath(fallback)}?rd=${encodeURIComponent(rd)}`);
  return registry;
}

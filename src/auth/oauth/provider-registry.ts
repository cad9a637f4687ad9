import type { Metrics } from '../../metrics/metrics.js';
import type { OAuthProviderConfig } from './config-schema.js';
import { GitHubProvider } from './github.js';
import { googleProvider } from './google.js';
import { OidcProvider } from './oidc.js';
import type { Provider } from './provider.js';

/** The callback path of a provider; the redirect URI is `server.public_url` + this, never derived from Host. */
export function callbackPath(id: string): string {
  return `/.gatehouse/oauth/${id}/callback`;
}

/** The redirect URI registered at the provider for this id. */
export function redirectUriFor(publicUrl: string, id: string): string {
  return new URL(callbackPath(id), publicUrl.replace(/\/+$/, '') + '/').href;
}

/** The login-button text of a provider: its label, else the provider's name, else its id. */
export function labelOf(config: OAuthProviderConfig): string {
  return config.label ?? (config.type === 'google' ? 'Google' : config.type === 'github' ? 'GitHub' : config.id);
}

/** The login-page buttons for `AuthDeps.providers`. */
export function providerButtons(configs: readonly OAuthProviderConfig[]): { id: string; label: string }[] {
  return configs.map((c) => ({ id: c.id, label: labelOf(c) }));
}

/** Every configured provider by id, built once at start-up (providers are restart-only settings). */
export class ProviderRegistry {
  readonly #byId = new Map<string, Provider>();

  constructor(configs: readonly OAuthProviderConfig[], publicUrl: string, metrics: Metrics) {
    for (const config of configs) this.#byId.set(config.id, buildProvider(config, redirectUriFor(publicUrl, config.id), metrics));
  }

  get(id: string): Provider | undefined {
    return this.#byId.get(id);
  }

  all(): Provider[] {
    return [...this.#byId.values()];
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((p) => p.close()));
  }
}

function buildProvider(config: OAuthProviderConfig, redirectUri: string, metrics: Metrics): Provider {
  switch (config.type) {
    case 'oidc':
      return new OidcProvider(config, config.issuer, labelOf(config), redirectUri, metrics);
    case 'google':
      return googleProvider(config, redirectUri, metrics);
    case 'github':
      return new GitHubProvider(config, redirectUri, metrics);
  }
}

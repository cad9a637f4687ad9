// Builders shared by the routing tests: route configs as the config loader would produce them.
import type { RouteConfig, RoutePolicy } from '../../src/config/schema.js';

/** A validated-looking route config; `match` fields beyond path are optional. */
export function route(
  name: string,
  path: string,
  options: { host?: string; methods?: RouteConfig['match']['methods']; policy?: RoutePolicy } = {},
): RouteConfig {
  const match: RouteConfig['match'] = { path };
  if (options.host !== undefined) match.host = options.host;
  if (options.methods !== undefined) match.methods = options.methods;
  return { name, match, policy: options.policy ?? 'authenticated', upstream: 'app', websockets: false };
}

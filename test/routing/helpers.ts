// Builders shared by the routing tests: route configs as the config loader would produce them.
import type { RouteConfig, RoutePolicy } from '../../src/config/schema.js';
import { normalizePath, type NormalizedTarget } from '../../src/routing/index.js';

/** A validated-looking route config; `match` fields beyond path are optional. */
export function route(
  name: string,
  path: string,
  options: {
    host?: string; methods?: RouteConfig['match']['methods']; policy?: RoutePolicy; caseSensitive?: boolean; upstream?: string;
    websockets?: boolean; upgradeProtocols?: string[];
  } = {},
): RouteConfig {
  const match: RouteConfig['match'] = { path };
  if (options.host !== undefined) match.host = options.host;
  if (options.methods !== undefined) match.methods = options.methods;
  if (options.caseSensitive !== undefined) match.case_sensitive = options.caseSensitive;
  return { name, match, policy: options.policy ?? 'authenticated', upstream: options.upstream ?? 'app', websockets: options.websockets ?? false,
    upgrade_protocols: options.upgradeProtocols ?? [] };
}

/** The target of a raw request path as the ingress hands it to RouteTable.match; throws if normalizePath refuses it. */
export function target(raw: string): NormalizedTarget {
  const n = normalizePath(raw);
  if (!n.ok) throw new Error(`normalizePath refused ${JSON.stringify(raw)}: ${n.reason}`);
  return n;
}

/** A small seeded PRNG (mulberry32), so a failing random case can be replayed from its printed seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export { loadConfigFile, parseConfigText } from './load-config.js';
export { configSchema, policySchema } from './schema.js';
export type { GatehouseConfig, RouteConfig, RoutePolicy, UpstreamConfig, HttpMethod } from './schema.js';
export { parseDuration } from './duration.js';

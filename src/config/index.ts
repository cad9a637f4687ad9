export { fileSha256, loadConfigFile, parseConfigText, readConfigFile } from './load-config.js';
export { configSchema, policySchema } from './schema.js';
export type { GatehouseConfig, RouteConfig, RoutePolicy, UpstreamConfig, HttpMethod } from './schema.js';
export { parseDuration } from './duration.js';

export { ERROR_CATALOGUE, type ErrorCode } from './catalogue.js';
export { GatehouseError, isGatehouseError, type GatehouseErrorOptions } from './gatehouse-error.js';
export * from './kinds.js';

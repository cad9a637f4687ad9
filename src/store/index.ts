// The storage layer's public surface: the contract (store.ts), how to open one, and how to migrate.
export * from './store.js';
export { openStore, migrate, type StoreDeps, type MigrateResult } from './open-store.js';
export { storageSchema, type StorageConfig } from './config-schema.js';
export { canonicalEmail } from './canonical-email.js';
export { transactionOp, type TransactionOp, type ErrorClass } from './transaction-op.js';

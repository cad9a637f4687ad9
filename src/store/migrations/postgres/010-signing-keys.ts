import type { Migration } from '../migration.js';

/** Issue 17: the keys that sign identity assertions (private halves sealed), shared by replicas. */
export const signingKeys: Migration = {
  version: 10,
  name: 'signing-keys',
  statements: [
    `CREATE TABLE signing_keys (
      kid TEXT PRIMARY KEY, generation INTEGER NOT NULL UNIQUE, alg TEXT NOT NULL, public_jwk TEXT NOT NULL,
      private_jwk TEXT NOT NULL, created_at BIGINT NOT NULL, activates_at BIGINT NOT NULL
    )`,
  ],
};

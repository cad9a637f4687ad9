import type { Migration } from '../migration.js';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

/** Issue 17: the keys that sign identity assertions (private halves sealed), shared by replicas. */
export const signingKeys: Migration = {
  version: 10,
  name: 'signing-keys',
  statements: [
    `CREATE TABLE IF NOT EXISTS signing_keys (
      kid VARCHAR(64) NOT NULL PRIMARY KEY, generation INT NOT NULL, alg VARCHAR(16) NOT NULL, public_jwk TEXT NOT NULL,
      private_jwk TEXT NOT NULL, created_at BIGINT NOT NULL, activates_at BIGINT NOT NULL,
      UNIQUE KEY signing_keys_generation (generation)
    ) ${TABLE}`,
  ],
};

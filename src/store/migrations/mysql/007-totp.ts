import type { Migration } from '../migration.js';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

/** Issue 18: authenticator-app secrets (sealed) and recovery codes (hashed). */
export const totp: Migration = {
  version: 7,
  name: 'totp',
  statements: [
    `CREATE TABLE IF NOT EXISTS totp_credentials (
      user_id VARCHAR(128) NOT NULL PRIMARY KEY, secret TEXT NOT NULL, confirmed_at BIGINT, last_step BIGINT,
      created_at BIGINT NOT NULL,
      CONSTRAINT totp_credentials_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
    ) ${TABLE}`,
    `CREATE TABLE IF NOT EXISTS recovery_codes (
      user_id VARCHAR(128) NOT NULL, code_hash VARCHAR(128) NOT NULL, used_at BIGINT, created_at BIGINT NOT NULL,
      PRIMARY KEY (user_id, code_hash),
      CONSTRAINT recovery_codes_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
    ) ${TABLE}`,
  ],
};

import type { Migration } from '../migration.js';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

/** Issue 18: passkeys and security keys (WebAuthn credentials). */
export const webauthn: Migration = {
  version: 8,
  name: 'webauthn',
  statements: [
    `CREATE TABLE IF NOT EXISTS webauthn_credentials (
      id VARCHAR(255) NOT NULL PRIMARY KEY, user_id VARCHAR(128) NOT NULL, name VARCHAR(255) NOT NULL,
      public_key TEXT NOT NULL, counter BIGINT NOT NULL, transports TEXT NOT NULL, device_type VARCHAR(32) NOT NULL,
      backed_up TINYINT NOT NULL, passwordless TINYINT NOT NULL, created_at BIGINT NOT NULL, last_used_at BIGINT,
      KEY webauthn_credentials_user_idx (user_id, created_at),
      CONSTRAINT webauthn_credentials_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
    ) ${TABLE}`,
  ],
};

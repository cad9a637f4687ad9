import type { Migration } from '../migration.js';

/** Issue 18: authenticator-app secrets (sealed) and recovery codes (hashed). */
export const totp: Migration = {
  version: 7,
  name: 'totp',
  statements: [
    `CREATE TABLE totp_credentials (
      user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE, secret TEXT NOT NULL,
      confirmed_at BIGINT, last_step BIGINT, created_at BIGINT NOT NULL
    )`,
    `CREATE TABLE recovery_codes (
      user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE, code_hash TEXT NOT NULL,
      used_at BIGINT, created_at BIGINT NOT NULL, PRIMARY KEY (user_id, code_hash)
    )`,
  ],
};

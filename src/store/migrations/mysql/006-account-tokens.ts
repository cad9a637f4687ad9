import type { Migration } from '../migration.js';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

// ADD COLUMN has no IF NOT EXISTS on MySQL 8: mysql-migrate treats "duplicate column" on a rerun as already done.
/** Issue 18: verified email addresses, how sessions were signed in (amr), and single-use account tokens (verification, reset, logins in progress). */
export const accountTokens: Migration = {
  version: 6,
  name: 'account_tokens',
  statements: [
    // How the session's user proved who they are (RFC 8176 amr values, a JSON array).
    'ALTER TABLE sessions ADD COLUMN amr TEXT NULL',
    'ALTER TABLE users ADD COLUMN email_verified_at BIGINT NULL',
    `CREATE TABLE IF NOT EXISTS account_tokens (
      id VARCHAR(128) NOT NULL PRIMARY KEY, purpose VARCHAR(32) NOT NULL, user_id VARCHAR(128),
      email VARCHAR(320), data TEXT, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT,
      KEY account_tokens_user_idx (user_id, purpose), KEY account_tokens_expires_idx (expires_at),
      CONSTRAINT account_tokens_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
    ) ${TABLE}`,
  ],
};

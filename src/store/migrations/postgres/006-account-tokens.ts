import type { Migration } from '../migration.js';

/** Issue 18: verified email addresses, how sessions were signed in (amr), and single-use account tokens (verification, reset, logins in progress). */
export const accountTokens: Migration = {
  version: 6,
  name: 'account_tokens',
  statements: [
    // How the session's user proved who they are (RFC 8176 amr values, a JSON array).
    'ALTER TABLE sessions ADD COLUMN amr TEXT',
    'ALTER TABLE users ADD COLUMN email_verified_at BIGINT',
    `CREATE TABLE account_tokens (
      id TEXT PRIMARY KEY, purpose TEXT NOT NULL, user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
      email TEXT, data TEXT, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT
    )`,
    'CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose)',
    'CREATE INDEX account_tokens_expires_idx ON account_tokens (expires_at)',
  ],
};

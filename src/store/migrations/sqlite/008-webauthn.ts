import type { Migration } from '../migration.js';

/** Issue 18: passkeys and security keys (WebAuthn credentials). */
export const webauthn: Migration = {
  version: 8,
  name: 'webauthn',
  statements: [
    `CREATE TABLE webauthn_credentials (
      id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE, name TEXT NOT NULL,
      public_key TEXT NOT NULL, counter INTEGER NOT NULL, transports TEXT NOT NULL, device_type TEXT NOT NULL,
      backed_up INTEGER NOT NULL, passwordless INTEGER NOT NULL, created_at INTEGER NOT NULL, last_used_at INTEGER
    ) STRICT`,
    'CREATE INDEX webauthn_credentials_user_idx ON webauthn_credentials (user_id, created_at)',
  ],
};

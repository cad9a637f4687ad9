import type { Migration } from '../migration.js';

// Times are BIGINT epoch milliseconds: exact, and read back identically to SQLite and MySQL (timestamptz would
// carry microseconds and time-zone conversions). JSON is TEXT so it round-trips byte-for-byte (jsonb reorders keys).
/** The first schema: every entity of issue 3. */
export const init: Migration = {
  version: 1,
  name: 'init',
  statements: [
    `CREATE TABLE users (
      id TEXT PRIMARY KEY, email TEXT NOT NULL, email_lower TEXT NOT NULL, name TEXT, password_hash TEXT,
      roles TEXT NOT NULL DEFAULT '[]', disabled BOOLEAN NOT NULL DEFAULT FALSE,
      created_at BIGINT NOT NULL, last_seen_at BIGINT
    )`,
    'CREATE UNIQUE INDEX users_email_key ON users (email_lower)',
    'CREATE INDEX users_created_idx ON users (created_at, id)',
    `CREATE TABLE external_identities (
      provider TEXT NOT NULL, subject TEXT NOT NULL,
      user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      email TEXT, created_at BIGINT NOT NULL, PRIMARY KEY (provider, subject)
    )`,
    'CREATE INDEX external_identities_user_idx ON external_identities (user_id)',
    `CREATE TABLE sessions (
      id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, idle_expires_at BIGINT NOT NULL,
      last_seen_at BIGINT NOT NULL, revoked_at BIGINT, user_agent TEXT, client_ip TEXT
    )`,
    'CREATE INDEX sessions_user_idx ON sessions (user_id, created_at, id)',
    'CREATE INDEX sessions_revoked_idx ON sessions (revoked_at)',
    'CREATE INDEX sessions_expires_idx ON sessions (expires_at)',
    'CREATE INDEX sessions_idle_idx ON sessions (idle_expires_at)',
    `CREATE TABLE organizations (
      id TEXT PRIMARY KEY, slug TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
      created_by TEXT, decided_by TEXT, decided_at BIGINT, created_at BIGINT NOT NULL
    )`,
    'CREATE UNIQUE INDEX organizations_slug_key ON organizations (slug)',
    'CREATE INDEX organizations_created_idx ON organizations (created_at, id)',
    'CREATE INDEX organizations_status_idx ON organizations (status, created_at, id)',
    `CREATE TABLE memberships (
      org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
      user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      role TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (org_id, user_id)
    )`,
    'CREATE INDEX memberships_org_idx ON memberships (org_id, created_at, user_id)',
    'CREATE INDEX memberships_user_idx ON memberships (user_id, created_at, org_id)',
    `CREATE TABLE webhooks (
      id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
      url TEXT NOT NULL, secret TEXT NOT NULL, events TEXT NOT NULL, active BOOLEAN NOT NULL,
      created_at BIGINT NOT NULL
    )`,
    'CREATE INDEX webhooks_org_idx ON webhooks (org_id, created_at, id)',
    `CREATE TABLE webhook_deliveries (
      id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
      event TEXT NOT NULL, payload TEXT NOT NULL, attempt INTEGER NOT NULL, status TEXT NOT NULL,
      response_code INTEGER, response_body TEXT, next_attempt_at BIGINT NOT NULL,
      claimed_by TEXT, claimed_until BIGINT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
    )`,
    'CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at)',
    'CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at, id)',
    `CREATE TABLE audit_events (
      id TEXT PRIMARY KEY, at BIGINT NOT NULL, actor TEXT, org TEXT, action TEXT NOT NULL, target TEXT,
      client_ip TEXT, user_agent TEXT, data TEXT
    )`,
    'CREATE INDEX audit_events_at_idx ON audit_events (at, id)',
    'CREATE INDEX audit_events_org_idx ON audit_events (org, at, id)',
    'CREATE INDEX audit_events_actor_idx ON audit_events (actor, at, id)',
    'CREATE TABLE settings (key_name TEXT PRIMARY KEY, value TEXT NOT NULL, created_at BIGINT NOT NULL)',
    'CREATE TABLE login_attempts (attempt_key TEXT PRIMARY KEY, window_start BIGINT NOT NULL, failures INTEGER NOT NULL)',
    'CREATE INDEX login_attempts_window_idx ON login_attempts (window_start)',
  ],
};

import type { Migration } from '../migration.js';

// MySQL commits DDL implicitly, so a migration cannot roll back halfway: every statement is idempotent
// (IF NOT EXISTS, indexes declared inside CREATE TABLE) so a rerun after a crash finishes the job.
// utf8mb4_bin: full Unicode, and byte comparison like SQLite, so ids and keys compare exactly (the _ci
// collations would make 'a' = 'A' and ignore trailing spaces). Times are BIGINT epoch ms; JSON is LONGTEXT.
const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

/** The first schema: every entity of issue 3. */
export const init: Migration = {
  version: 1,
  name: 'init',
  statements: [
    `CREATE TABLE IF NOT EXISTS users (
      id VARCHAR(128) NOT NULL PRIMARY KEY, email VARCHAR(320) NOT NULL, email_lower VARCHAR(320) NOT NULL,
      name TEXT, password_hash TEXT, roles TEXT NOT NULL, disabled TINYINT NOT NULL DEFAULT 0,
      created_at BIGINT NOT NULL, last_seen_at BIGINT,
      UNIQUE KEY users_email_key (email_lower), KEY users_created_idx (created_at, id)
    ) ${TABLE}`,
    `CREATE TABLE IF NOT EXISTS external_identities (
      provider VARCHAR(128) NOT NULL, subject VARCHAR(255) NOT NULL, user_id VARCHAR(128) NOT NULL,
      email VARCHAR(320), created_at BIGINT NOT NULL, PRIMARY KEY (provider, subject),
      KEY external_identities_user_idx (user_id),
      CONSTRAINT external_identities_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
    ) ${TABLE}`,
    `CREATE TABLE IF NOT EXISTS sessions (
      id VARCHAR(128) NOT NULL PRIMARY KEY, user_id VARCHAR(128) NOT NULL,
      created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, idle_expires_at BIGINT NOT NULL,
      last_seen_at BIGINT NOT NULL, revoked_at BIGINT, user_agent TEXT, client_ip VARCHAR(64),
      KEY sessions_user_idx (user_id, created_at, id), KEY sessions_revoked_idx (revoked_at),
      KEY sessions_expires_idx (expires_at), KEY sessions_idle_idx (idle_expires_at),
      CONSTRAINT sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
    ) ${TABLE}`,
    `CREATE TABLE IF NOT EXISTS organizations (
      id VARCHAR(128) NOT NULL PRIMARY KEY, slug VARCHAR(128) NOT NULL, name TEXT NOT NULL,
      status VARCHAR(16) NOT NULL, created_by VARCHAR(128), decided_by VARCHAR(128), decided_at BIGINT,
      created_at BIGINT NOT NULL,
      UNIQUE KEY organizations_slug_key (slug), KEY organizations_created_idx (created_at, id),
      KEY organizations_status_idx (status, created_at, id)
    ) ${TABLE}`,
    `CREATE TABLE IF NOT EXISTS memberships (
      org_id VARCHAR(128) NOT NULL, user_id VARCHAR(128) NOT NULL, role VARCHAR(16) NOT NULL,
      created_at BIGINT NOT NULL, PRIMARY KEY (org_id, user_id),
      KEY memberships_org_idx (org_id, created_at, user_id), KEY memberships_user_idx (user_id, created_at, org_id),
      CONSTRAINT memberships_org_fk FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE,
      CONSTRAINT memberships_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
    ) ${TABLE}`,
    `CREATE TABLE IF NOT EXISTS webhooks (
      id VARCHAR(128) NOT NULL PRIMARY KEY, org_id VARCHAR(128) NOT NULL, url TEXT NOT NULL,
      secret TEXT NOT NULL, events TEXT NOT NULL, active TINYINT NOT NULL, created_at BIGINT NOT NULL,
      KEY webhooks_org_idx (org_id, created_at, id),
      CONSTRAINT webhooks_org_fk FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE
    ) ${TABLE}`,
    `CREATE TABLE IF NOT EXISTS webhook_deliveries (
      id VARCHAR(128) NOT NULL PRIMARY KEY, webhook_id VARCHAR(128) NOT NULL, event VARCHAR(128) NOT NULL,
      payload LONGTEXT NOT NULL, attempt INT NOT NULL, status VARCHAR(16) NOT NULL, response_code INT,
      response_body TEXT, next_attempt_at BIGINT NOT NULL, claimed_by VARCHAR(128), claimed_until BIGINT,
      created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
      KEY webhook_deliveries_due_idx (status, next_attempt_at),
      KEY webhook_deliveries_webhook_idx (webhook_id, created_at, id),
      CONSTRAINT webhook_deliveries_webhook_fk FOREIGN KEY (webhook_id) REFERENCES webhooks (id) ON DELETE CASCADE
    ) ${TABLE}`,
    `CREATE TABLE IF NOT EXISTS audit_events (
      id VARCHAR(128) NOT NULL PRIMARY KEY, at BIGINT NOT NULL, actor VARCHAR(255), org VARCHAR(128),
      action VARCHAR(128) NOT NULL, target TEXT, client_ip VARCHAR(64), user_agent TEXT, data LONGTEXT,
      KEY audit_events_at_idx (at, id), KEY audit_events_org_idx (org, at, id),
      KEY audit_events_actor_idx (actor, at, id)
    ) ${TABLE}`,
    `CREATE TABLE IF NOT EXISTS settings (
      key_name VARCHAR(191) NOT NULL PRIMARY KEY, value TEXT NOT NULL, created_at BIGINT NOT NULL
    ) ${TABLE}`,
    `CREATE TABLE IF NOT EXISTS login_attempts (
      attempt_key VARCHAR(255) NOT NULL PRIMARY KEY, window_start BIGINT NOT NULL, failures INT NOT NULL,
      KEY login_attempts_window_idx (window_start)
    ) ${TABLE}`,
  ],
};

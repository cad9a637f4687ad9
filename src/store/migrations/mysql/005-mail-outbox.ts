import type { Migration } from '../migration.js';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

// Idempotent like 001 (MySQL commits DDL implicitly): indexes are declared inside CREATE TABLE IF NOT EXISTS.
/** Issue 18: the mail outbox, written in the transaction of the change that causes a message, sent by actors/mail-sender. */
export const mailOutbox: Migration = {
  version: 5,
  name: 'mail_outbox',
  statements: [
    `CREATE TABLE IF NOT EXISTS mail_outbox (
      id VARCHAR(128) NOT NULL PRIMARY KEY, template VARCHAR(64) NOT NULL, to_address VARCHAR(320) NOT NULL,
      payload LONGTEXT, attempt INT NOT NULL, status VARCHAR(16) NOT NULL, last_error TEXT,
      next_attempt_at BIGINT NOT NULL, claimed_by VARCHAR(255), claimed_until BIGINT,
      created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
      KEY mail_outbox_due_idx (status, next_attempt_at), KEY mail_outbox_address_idx (to_address, created_at, id)
    ) ${TABLE}`,
  ],
};

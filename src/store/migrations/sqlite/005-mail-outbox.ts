import type { Migration } from '../migration.js';

/** Issue 18: the mail outbox, written in the transaction of the change that causes a message, sent by actors/mail-sender. */
export const mailOutbox: Migration = {
  version: 5,
  name: 'mail_outbox',
  statements: [
    `CREATE TABLE mail_outbox (
      id TEXT PRIMARY KEY, template TEXT NOT NULL, to_address TEXT NOT NULL, payload TEXT,
      attempt INTEGER NOT NULL, status TEXT NOT NULL, last_error TEXT, next_attempt_at INTEGER NOT NULL,
      claimed_by TEXT, claimed_until INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
    ) STRICT`,
    'CREATE INDEX mail_outbox_due_idx ON mail_outbox (status, next_attempt_at)',
    'CREATE INDEX mail_outbox_address_idx ON mail_outbox (to_address, created_at, id)',
  ],
};

import type { Migration } from '../migration.js';

// Idempotent like 001 (MySQL commits DDL implicitly): the index is declared inside CREATE TABLE IF NOT EXISTS.
/** Issue 6: every delivery attempt of a webhook, kept apart from the delivery's latest state. */
export const webhookAttempts: Migration = {
  version: 2,
  name: 'webhook_attempts',
  statements: [
    `CREATE TABLE IF NOT EXISTS webhook_attempts (
      id VARCHAR(128) NOT NULL PRIMARY KEY, delivery_id VARCHAR(128) NOT NULL, attempt INT NOT NULL,
      at BIGINT NOT NULL, outcome VARCHAR(32) NOT NULL, response_code INT, response_body TEXT, error TEXT,
      duration_ms INT NOT NULL,
      KEY webhook_attempts_delivery_idx (delivery_id, at, id),
      CONSTRAINT webhook_attempts_delivery_fk FOREIGN KEY (delivery_id) REFERENCES webhook_deliveries (id) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  ],
};

import type { Migration } from '../migration.js';

/** Issue 6: every delivery attempt of a webhook, kept apart from the delivery's latest state. */
export const webhookAttempts: Migration = {
  version: 2,
  name: 'webhook_attempts',
  statements: [
    `CREATE TABLE webhook_attempts (
      id TEXT PRIMARY KEY, delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
      attempt INTEGER NOT NULL, at BIGINT NOT NULL, outcome TEXT NOT NULL, response_code INTEGER,
      response_body TEXT, error TEXT, duration_ms INTEGER NOT NULL
    )`,
    'CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, at, id)',
  ],
};

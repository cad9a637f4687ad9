import type { Migration } from '../migration.js';

// Idempotent like 001 (MySQL commits DDL implicitly): the index is declared inside CREATE TABLE IF NOT EXISTS.
/** Issue 9: the change feed replicas read to evict cached sessions (revocations, role and membership changes). */
export const changeFeed: Migration = {
  version: 3,
  name: 'change_feed',
  statements: [
    `CREATE TABLE IF NOT EXISTS change_feed (
      seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, kind VARCHAR(16) NOT NULL, subject VARCHAR(128) NOT NULL,
      at BIGINT NOT NULL, KEY change_feed_at_idx (at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  ],
};

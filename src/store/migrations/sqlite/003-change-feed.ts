import type { Migration } from '../migration.js';

/** Issue 9: the change feed replicas read to evict cached sessions (revocations, role and membership changes). */
export const changeFeed: Migration = {
  version: 3,
  name: 'change_feed',
  statements: [
    `CREATE TABLE change_feed (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, subject TEXT NOT NULL, at INTEGER NOT NULL
    )`,
    'CREATE INDEX change_feed_at_idx ON change_feed (at)',
  ],
};

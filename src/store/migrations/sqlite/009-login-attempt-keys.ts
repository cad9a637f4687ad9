import type { Migration } from '../migration.js';

/**
 * Issue 12: throttle keys are stored as the SHA-256 of the key (64 hex characters), so every driver stores the same
 * bounded key whatever the input's length. The counters are short-lived (one throttle window), so the table is
 * rebuilt rather than rewritten. `last_failure_at` paces guesses at an account past its limit.
 */
export const loginAttemptKeys: Migration = {
  version: 9,
  name: 'login_attempt_keys',
  statements: [
    'DROP TABLE IF EXISTS login_attempts',
    `CREATE TABLE login_attempts (
      attempt_key TEXT PRIMARY KEY, window_start INTEGER NOT NULL, failures INTEGER NOT NULL, last_failure_at INTEGER NOT NULL
    ) STRICT`,
    'CREATE INDEX login_attempts_window_idx ON login_attempts (window_start)',
  ],
};

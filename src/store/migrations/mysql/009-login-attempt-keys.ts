import type { Migration } from '../migration.js';

/**
 * Issue 12: throttle keys are stored as the SHA-256 of the key (64 hex characters), so any key fits whatever the
 * input's length (`acct:` + a 320-character address overflowed VARCHAR(255) here, and the failure went uncounted).
 * The counters are short-lived (one throttle window), so the table is rebuilt rather than rewritten; an upgrade
 * starts every window afresh. `last_failure_at` paces guesses at an account past its limit (auth/login-throttle.ts).
 * DROP + CREATE IF NOT EXISTS is safe to rerun after a crash (MySQL commits DDL at once).
 */
export const loginAttemptKeys: Migration = {
  version: 9,
  name: 'login_attempt_keys',
  statements: [
    'DROP TABLE IF EXISTS login_attempts',
    `CREATE TABLE IF NOT EXISTS login_attempts (
      attempt_key CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY, window_start BIGINT NOT NULL,
      failures INT NOT NULL, last_failure_at BIGINT NOT NULL,
      KEY login_attempts_window_idx (window_start)
    ) ENGINE=InnoDB`,
  ],
};

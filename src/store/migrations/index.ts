import type { StoreDriver } from '../store.js';
import type { Migration } from './migration.js';
import { init as sqliteInit } from './sqlite/001-init.js';
import { init as postgresInit } from './postgres/001-init.js';
import { init as mysqlInit } from './mysql/001-init.js';
import { webhookAttempts as sqliteAttempts } from './sqlite/002-webhook-attempts.js';
import { webhookAttempts as postgresAttempts } from './postgres/002-webhook-attempts.js';
import { webhookAttempts as mysqlAttempts } from './mysql/002-webhook-attempts.js';
import { changeFeed as sqliteChangeFeed } from './sqlite/003-change-feed.js';
import { changeFeed as postgresChangeFeed } from './postgres/003-change-feed.js';
import { changeFeed as mysqlChangeFeed } from './mysql/003-change-feed.js';
import { mailOutbox as sqliteMailOutbox } from './sqlite/005-mail-outbox.js';
import { mailOutbox as postgresMailOutbox } from './postgres/005-mail-outbox.js';
import { mailOutbox as mysqlMailOutbox } from './mysql/005-mail-outbox.js';
import { accountTokens as sqliteAccountTokens } from './sqlite/006-account-tokens.js';
import { accountTokens as postgresAccountTokens } from './postgres/006-account-tokens.js';
import { accountTokens as mysqlAccountTokens } from './mysql/006-account-tokens.js';
import { totp as sqliteTotp } from './sqlite/007-totp.js';
import { totp as postgresTotp } from './postgres/007-totp.js';
import { totp as mysqlTotp } from './mysql/007-totp.js';
import { webauthn as sqliteWebauthn } from './sqlite/008-webauthn.js';
import { webauthn as postgresWebauthn } from './postgres/008-webauthn.js';
import { webauthn as mysqlWebauthn } from './mysql/008-webauthn.js';
import { loginAttemptKeys as sqliteLoginAttemptKeys } from './sqlite/009-login-attempt-keys.js';
import { loginAttemptKeys as postgresLoginAttemptKeys } from './postgres/009-login-attempt-keys.js';
import { loginAttemptKeys as mysqlLoginAttemptKeys } from './mysql/009-login-attempt-keys.js';
import { signingKeys as sqliteSigningKeys } from './sqlite/010-signing-keys.js';
import { signingKeys as postgresSigningKeys } from './postgres/010-signing-keys.js';
import { signingKeys as mysqlSigningKeys } from './mysql/010-signing-keys.js';

export { pendingMigrations, latestVersion, type Migration, type AppliedMigration } from './migration.js';

// Migrations are TS modules exporting SQL strings rather than .sql files because tsc does not copy .sql files
// to dist/. Add a migration by adding a numbered file per dialect and listing it here.
/** Every migration for a dialect, in version order. */
export function migrationsFor(driver: StoreDriver): readonly Migration[] {
  switch (driver) {
    case 'sqlite': return [sqliteInit, sqliteAttempts, sqliteChangeFeed, sqliteMailOutbox, sqliteAccountTokens, sqliteTotp, sqliteWebauthn, sqliteLoginAttemptKeys, sqliteSigningKeys];
    case 'postgres': return [postgresInit, postgresAttempts, postgresChangeFeed, postgresMailOutbox, postgresAccountTokens, postgresTotp, postgresWebauthn, postgresLoginAttemptKeys, postgresSigningKeys];
    case 'mysql': return [mysqlInit, mysqlAttempts, mysqlChangeFeed, mysqlMailOutbox, mysqlAccountTokens, mysqlTotp, mysqlWebauthn, mysqlLoginAttemptKeys, mysqlSigningKeys];
  }
}

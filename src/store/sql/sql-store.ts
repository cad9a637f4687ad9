import { randomUUID } from 'node:crypto';
import type { Store, StoreRepos } from '../store.js';
import { auditRepo } from './audit-repo.js';
import { dialectFor, type Dialect } from './dialect.js';
import { orgsRepo, membershipsRepo } from './orgs-repo.js';
import type { Queryable, SqlDriver } from './queryable.js';
import type { RepoContext } from './repo-context.js';
import { sessionsRepo } from './sessions-repo.js';
import { changesRepo } from './changes-repo.js';
import { loginAttemptsRepo, settingsRepo } from './settings-repo.js';
import { identitiesRepo, usersRepo } from './users-repo.js';
import { deliveriesRepo, webhooksRepo } from './webhooks-repo.js';
import { mailOutboxRepo } from './mail-outbox-repo.js';
import { accountTokensRepo } from './account-tokens-repo.js';
import { mfaRepo } from './mfa-repo.js';
import { signingKeysRepo } from './signing-keys-repo.js';

/** Options for a SQL-backed store; `now` is the clock (epoch ms) used for defaulted times. */
export interface SqlStoreOptions {
  now?: () => number;
  newId?: () => string;
}

function buildRepos(ctx: RepoContext): StoreRepos {
  return {
    users: usersRepo(ctx), identities: identitiesRepo(ctx), sessions: sessionsRepo(ctx), orgs: orgsRepo(ctx),
    memberships: membershipsRepo(ctx), webhooks: webhooksRepo(ctx), deliveries: deliveriesRepo(ctx),
    audit: auditRepo(ctx), settings: settingsRepo(ctx), loginAttempts: loginAttemptsRepo(ctx), changes: changesRepo(ctx),
    mailOutbox: mailOutboxRepo(ctx), accountTokens: accountTokensRepo(ctx), mfa: mfaRepo(ctx), signingKeys: signingKeysRepo(ctx),
  };
}

/**
 * Builds the Store over a driver: the repositories are written once against `Queryable`; inside `transaction`
 * they are rebuilt over the transaction's connection (cheap: a handful of closures).
 */
export function createSqlStore(driver: SqlDriver, options: SqlStoreOptions = {}): Store {
  const dialect: Dialect = dialectFor(driver.dialect);
  const now = options.now ?? Date.now;
  const newId = options.newId ?? randomUUID;
  const txContext = (q: Queryable): RepoContext => ({ q, dialect, now, newId, atomic: (fn) => fn(q) });
  const root = buildRepos({ q: driver, dialect, now, newId, atomic: (fn) => driver.transaction(fn) });
  return {
    driver: driver.dialect,
    ...root,
    transaction: (fn) => driver.transaction((q) => fn(buildRepos(txContext(q)))),
    ping: () => driver.ping(),
    ...(driver.poolStats === undefined ? {} : { poolStats: () => driver.poolStats!() }),
    close: () => driver.close(),
  };
}

import { randomUUID } from 'node:crypto';
import type { Store, StoreRepos } from '../store.js';
import { auditRepo } from './audit-repo.js';
import { dialectFor, type Dialect } from './dialect.js';
import { orgsRepo, membershipsRepo } from './orgs-repo.js';
import type { PerformCall, Queryable, SqlDriver } from './queryable.js';
import type { ErrorClass, TransactionOp } from '../transaction-op.js';
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

/** The repositories over one context (a connection, or a transaction's). Exported for the SQLite writer thread. */
export function buildRepos(ctx: RepoContext): StoreRepos {
  return {
    users: usersRepo(ctx), identities: identitiesRepo(ctx), sessions: sessionsRepo(ctx), orgs: orgsRepo(ctx),
    memberships: membershipsRepo(ctx), webhooks: webhooksRepo(ctx), deliveries: deliveriesRepo(ctx),
    audit: auditRepo(ctx), settings: settingsRepo(ctx), loginAttempts: loginAttemptsRepo(ctx), changes: changesRepo(ctx),
    mailOutbox: mailOutboxRepo(ctx), accountTokens: accountTokensRepo(ctx), mfa: mfaRepo(ctx), signingKeys: signingKeysRepo(ctx),
  };
}

/**
 * Repository methods that only read: they stay where they are (on SQLite, the main thread's reader connection, a few
 * microseconds, and they keep working while another process holds the write lock). Every other method writes and is
 * shipped whole to the writer. A new read method belongs here (test/store/write-routing.test.ts fails until it is
 * classified one way or the other).
 */
export const READ_METHODS: ReadonlySet<string> = new Set([
  'users.get', 'users.getByEmail', 'users.list', 'users.count',
  'identities.find', 'identities.listForUser',
  'sessions.get', 'sessions.listForUser',
  'orgs.get', 'orgs.getBySlug', 'orgs.list',
  'memberships.get', 'memberships.listForOrg', 'memberships.listForUser', 'memberships.listApprovedForUser',
  'memberships.lockOwners', 'memberships.countByRole',
  'webhooks.get', 'webhooks.listForOrg', 'webhooks.listSubscribed',
  'deliveries.get', 'deliveries.listForWebhook', 'deliveries.listAttempts', 'deliveries.queueStats',
  'audit.list',
  'settings.get',
  'loginAttempts.get', 'loginAttempts.windows',
  'changes.since', 'changes.latest', 'changes.oldest',
  'mailOutbox.get', 'mailOutbox.queueStats', 'mailOutbox.listForAddress',
  'accountTokens.get',
  'mfa.getTotp', 'mfa.countRecoveryCodes', 'mfa.getCredential', 'mfa.listCredentials',
  'signingKeys.list',
]);

/** A structured-clone failure: an argument the other thread cannot receive (then the call runs here instead). */
const isCloneError = (err: unknown): boolean => err instanceof Error && err.name === 'DataCloneError';

/**
 * Builds the Store over a driver: the repositories are written once against `Queryable`; inside `transaction`
 * they are rebuilt over the transaction's connection (cheap: a handful of closures).
 *
 * When the driver can `perform` (SQLite), every write method of the root repositories is shipped whole to the writer
 * thread as one message (`{repo, method, args}`), where it runs in one transaction with its reads and its change-feed
 * row: a write is one message, never a conversation across event-loop turns while the write lock is held. Reads stay
 * on this thread. `perform(op, args)` does the same for a named multi-step transaction (transaction-op.ts).
 */
export function createSqlStore(driver: SqlDriver, options: SqlStoreOptions = {}): Store {
  const dialect: Dialect = dialectFor(driver.dialect);
  const now = options.now ?? Date.now;
  const newId = options.newId ?? randomUUID;
  const txContext = (q: Queryable): RepoContext => ({ q, dialect, now, newId, atomic: (fn) => fn(q) });
  const local = buildRepos({ q: driver, dialect, now, newId, atomic: (fn) => driver.transaction(fn) });
  // A pinned clock (tests) travels with each call; a custom id source cannot, so such a store keeps writes here.
  const shipped = driver.perform !== undefined && options.newId === undefined ? driver.perform.bind(driver) : undefined;
  const nowMs = (): number | null => (options.now === undefined ? null : now());
  const ship = <R>(call: PerformCall, errors: readonly ErrorClass[], here: () => Promise<R>): Promise<R> => {
    if (shipped === undefined) return here();
    return (shipped(call, { nowMs: nowMs(), errors }) as Promise<R>).catch((err: unknown) => {
      if (isCloneError(err)) return here();
      throw err;
    });
  };
  const root = shipped === undefined ? local : routeWrites(local, ship);
  return {
    driver: driver.dialect,
    ...root,
    transaction: (fn) => driver.transaction((q) => fn(buildRepos(txContext(q)))),
    perform: <A, R>(op: TransactionOp<A, R>, args: A) => ship<R>({ kind: 'op', module: op.module, name: op.name, args }, op.errors,
      () => driver.transaction((q) => op.body(buildRepos(txContext(q)), args))),
    ...(driver.poolStats === undefined ? {} : { poolStats: () => driver.poolStats!() }),
    ...(driver.writerStats === undefined ? {} : { writerStats: () => driver.writerStats!() }),
    ping: () => driver.ping(),
    close: () => driver.close(),
  };
}

type Ship = <R>(call: PerformCall, errors: readonly ErrorClass[], here: () => Promise<R>) => Promise<R>;

/** The root repositories with every write method shipped (reads kept as they are). */
function routeWrites(repos: StoreRepos, ship: Ship): StoreRepos {
  const out: Record<string, unknown> = {};
  for (const [name, repo] of Object.entries(repos) as [keyof StoreRepos, Record<string, (...a: unknown[]) => Promise<unknown>>][]) {
    const routed: Record<string, unknown> = {};
    for (const [method, fn] of Object.entries(repo)) {
      routed[method] = READ_METHODS.has(`${name}.${method}`) ? fn
        : (...args: unknown[]) => ship({ kind: 'repo', repo: name, method, args }, [], () => fn(...args));
    }
    out[name] = routed;
  }
  return out as unknown as StoreRepos;
}

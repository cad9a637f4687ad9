/**
 * The storage contract: every entity Gatehouse remembers and every operation on it, apart from the drivers that
 * implement it (like oauth2-proxy's pkg/apis). Callers depend on this file only.
 *
 * Conventions, the same on every driver:
 * - Times are `Date` in and out, UTC, millisecond precision (stored as epoch-ms BIGINT everywhere).
 * - Ids are opaque strings (`crypto.randomUUID()` unless the caller brings one, e.g. a session's token hash).
 * - `get*`/`find*` return `null` for a missing row; updates and deletes of a missing row throw `NotFoundError`.
 * - Uniqueness failures throw `ConflictError(field)`; a lock or connection not obtained in time throws
 *   `StoreBusyError` (retryable); an unreachable database throws `StoreDownError`. Nothing driver-specific escapes.
 * - Lists are pages: `{ items, nextCursor }`; pass `nextCursor` back as `cursor` for the next page (null = done).
 */

import type { AccountTokensRepo, MailOutboxRepo, MfaRepo } from './accounts-store.js';
import type { GatehouseError } from '../errors/index.js';

export type * from './accounts-store.js';

/** One page of a list; `nextCursor` is opaque and null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Paging options shared by every list: `limit` defaults to 50 and is capped at 500. */
export interface PageOptions {
  cursor?: string | null;
  limit?: number;
}

// ---- users and external identities -------------------------------------------------------------------------

export interface User {
  id: string;
  /** As entered; uniqueness is case-insensitive (the store keeps a lower-cased copy). */
  email: string;
  name: string | null;
  passwordHash: string | null;
  /** Free-form platform role names, e.g. `platform_owner`. */
  roles: string[];
  disabled: boolean;
  createdAt: Date;
  lastSeenAt: Date | null;
  /** When the current email was proven by a link sent to it (or vouched for by a provider); null when not. */
  emailVerifiedAt: Date | null;
}

export interface NewUser {
  id?: string;
  email: string;
  name?: string | null;
  passwordHash?: string | null;
  roles?: string[];
  disabled?: boolean;
  createdAt?: Date;
  emailVerifiedAt?: Date | null;
}

/** Changing `email` clears `emailVerifiedAt` unless the patch sets it too: a new address is unproven. */
export type UserPatch = Partial<Pick<User, 'email' | 'name' | 'passwordHash' | 'roles' | 'disabled' | 'emailVerifiedAt'>>;

export interface UsersRepo {
  /** Creates a user; ConflictError('email') if the email is taken in any letter case. */
  create(user: NewUser): Promise<User>;
  get(id: string): Promise<User | null>;
  /** Looks a user up by email, case-insensitively. */
  getByEmail(email: string): Promise<User | null>;
  /** Applies the given fields; NotFoundError if absent, ConflictError('email') on a taken email. */
  update(id: string, patch: UserPatch): Promise<User>;
  /** Deletes a user with its identities, sessions and memberships. */
  delete(id: string): Promise<void>;
  /** Users oldest first; `role` keeps those holding that platform role. */
  list(options?: PageOptions & { role?: string }): Promise<Page<User>>;
  /** How many users exist (the first user may become platform owner). */
  count(): Promise<number>;
}

/** A login at an external identity provider linked to a local user. */
export interface ExternalIdentity {
  provider: string;
  subject: string;
  userId: string;
  email: string | null;
  createdAt: Date;
}

export interface IdentitiesRepo {
  /** Links provider+subject to a user; ConflictError('identity') if already linked. */
  link(identity: Omit<ExternalIdentity, 'createdAt' | 'email'> & { email?: string | null; createdAt?: Date }): Promise<ExternalIdentity>;
  find(provider: string, subject: string): Promise<ExternalIdentity | null>;
  listForUser(userId: string): Promise<ExternalIdentity[]>;
  /** Removes a link; NotFoundError if absent. */
  unlink(provider: string, subject: string): Promise<void>;
}

// ---- sessions ----------------------------------------------------------------------------------------------

export interface Session {
  /** A hash of the session token; the token itself is never stored. */
  id: string;
  userId: string;
  createdAt: Date;
  /** Absolute expiry. */
  expiresAt: Date;
  /** Sliding expiry, pushed forward by activity. */
  idleExpiresAt: Date;
  lastSeenAt: Date;
  revokedAt: Date | null;
  userAgent: string | null;
  clientIp: string | null;
  /** How the user signed in: RFC 8176 authentication method references (pwd, otp, hwk, swk, mfa...). */
  amr: string[];
}

export interface NewSession {
  id: string;
  userId: string;
  expiresAt: Date;
  idleExpiresAt: Date;
  createdAt?: Date;
  userAgent?: string | null;
  clientIp?: string | null;
  amr?: readonly string[];
}

/** One coalesced activity record from the last-seen debouncer. */
export interface LastSeenUpdate {
  userId?: string;
  sessionId?: string;
  at: Date;
  /** When set, the session's sliding expiry moves to this time (never backwards). */
  idleExpiresAt?: Date;
}

export interface SessionsRepo {
  /** Stores a session; ConflictError('id') on a reused token hash, NotFoundError('user') for an unknown user. */
  create(session: NewSession): Promise<Session>;
  /** Reads a session by its token hash, whatever its state (the caller checks expiry and revocation). */
  get(id: string): Promise<Session | null>;
  /** Marks one session revoked; returns false if it did not exist or was already revoked. */
  revoke(id: string, at?: Date): Promise<boolean>;
  /** Revokes every live session of a user except `exceptId`; returns how many. */
  revokeForUser(userId: string, options?: { exceptId?: string; at?: Date }): Promise<number>;
  /** A user's sessions, newest first, revoked and expired included. */
  listForUser(userId: string, options?: PageOptions): Promise<Page<Session>>;
  /** Deletes sessions whose absolute or idle expiry is at or before `now`; returns how many. */
  deleteExpired(now: Date): Promise<number>;
  /** Applies a batch of last-seen updates (users and sessions) in one transaction; times never move backwards. */
  touchLastSeen(updates: readonly LastSeenUpdate[]): Promise<void>;
}

// ---- organizations and memberships -------------------------------------------------------------------------

export type OrgStatus = 'pending' | 'approved' | 'rejected' | 'suspended';

export interface Organization {
  id: string;
  slug: string;
  name: string;
  status: OrgStatus;
  createdBy: string | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  createdAt: Date;
}

export interface NewOrganization {
  id?: string;
  slug: string;
  name: string;
  status?: OrgStatus;
  createdBy?: string | null;
  createdAt?: Date;
}

export interface OrgsRepo {
  /** Creates an organization (pending unless told); ConflictError('slug') if the slug is taken. */
  create(org: NewOrganization): Promise<Organization>;
  get(id: string): Promise<Organization | null>;
  getBySlug(slug: string): Promise<Organization | null>;
  /** Renames; NotFoundError if absent, ConflictError('slug'). */
  update(id: string, patch: Partial<Pick<Organization, 'slug' | 'name'>>): Promise<Organization>;
  /** Records a platform owner's decision (approve, reject, suspend). */
  setStatus(id: string, status: OrgStatus, decidedBy: string | null, at?: Date): Promise<Organization>;
  /** Deletes an organization with its memberships, webhooks and their deliveries. */
  delete(id: string): Promise<void>;
  /** Organizations oldest first, optionally of one status. */
  list(options?: PageOptions & { status?: OrgStatus }): Promise<Page<Organization>>;
}

export type MemberRole = 'owner' | 'admin' | 'member';

export interface Membership {
  orgId: string;
  userId: string;
  role: MemberRole;
  createdAt: Date;
}

export interface MembershipsRepo {
  /** Adds a member; ConflictError('membership') if already a member, NotFoundError for an unknown org or user. */
  add(membership: Omit<Membership, 'createdAt'> & { createdAt?: Date }): Promise<Membership>;
  get(orgId: string, userId: string): Promise<Membership | null>;
  /** Changes a member's role; NotFoundError if not a member. */
  setRole(orgId: string, userId: string, role: MemberRole): Promise<Membership>;
  /** Removes a member; NotFoundError if not a member. */
  remove(orgId: string, userId: string): Promise<void>;
  /** An organization's members, oldest first. */
  listForOrg(orgId: string, options?: PageOptions): Promise<Page<Membership>>;
  /** A user's memberships, oldest first. */
  listForUser(userId: string, options?: PageOptions): Promise<Page<Membership>>;
  /** How many members hold `role` (so the last owner cannot leave). */
  countByRole(orgId: string, role: MemberRole): Promise<number>;
  /**
   * The user's memberships of *approved* organizations as `{slug, role}`, by slug, at most `limit`: what a session
   * carries into policies and X-Auth-Orgs. One query, however many pending organizations the user asked for.
   */
  listApprovedForUser(userId: string, limit: number): Promise<{ slug: string; role: MemberRole }[]>;
  /**
   * Inside a transaction: the organization's owners, locked until commit, so two concurrent changes cannot each
   * count the other's owner and leave none (call it before changing or removing an owner).
   */
  lockOwners(orgId: string): Promise<string[]>;
}

// ---- webhooks and their delivery outbox --------------------------------------------------------------------

export interface Webhook {
  id: string;
  orgId: string;
  url: string;
  /** HMAC signing secret; shown to the org admin once. */
  secret: string;
  /** Event names this webhook subscribes to. */
  events: string[];
  active: boolean;
  createdAt: Date;
}

export interface NewWebhook {
  id?: string;
  orgId: string;
  url: string;
  secret: string;
  events: string[];
  active?: boolean;
  createdAt?: Date;
}

export interface WebhooksRepo {
  create(webhook: NewWebhook): Promise<Webhook>;
  get(id: string): Promise<Webhook | null>;
  /** NotFoundError if absent. */
  update(id: string, patch: Partial<Pick<Webhook, 'url' | 'secret' | 'events' | 'active'>>): Promise<Webhook>;
  /** Turns an active webhook off; true only for the caller that made the change (false if already off or gone). */
  deactivate(id: string): Promise<boolean>;
  /** Deletes a webhook and its deliveries. */
  delete(id: string): Promise<void>;
  listForOrg(orgId: string, options?: PageOptions): Promise<Page<Webhook>>;
  /** Active webhooks of an organization subscribed to `event` (bounded by what one org may register). */
  listSubscribed(orgId: string, event: string): Promise<Webhook[]>;
}

export type DeliveryStatus = 'pending' | 'delivering' | 'delivered' | 'failed';

export interface WebhookDelivery {
  id: string;
  webhookId: string;
  event: string;
  /** The JSON body to sign and send. */
  payload: unknown;
  /** Attempts started so far (a claim starts one). */
  attempt: number;
  status: DeliveryStatus;
  responseCode: number | null;
  /** The upstream's reply, truncated to `RESPONSE_BODY_MAX` characters. */
  responseBody: string | null;
  nextAttemptAt: Date;
  claimedBy: string | null;
  claimedUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewDelivery {
  id?: string;
  webhookId: string;
  event: string;
  payload: unknown;
  nextAttemptAt?: Date;
  createdAt?: Date;
}

/** What a worker learned from one attempt. `pending` with `nextAttemptAt` schedules a retry. */
export interface DeliveryOutcome {
  status: 'delivered' | 'failed' | 'pending';
  responseCode?: number | null;
  responseBody?: string | null;
  nextAttemptAt?: Date;
  at?: Date;
}

export interface DeliveriesRepo {
  /** Queues deliveries (one multi-row insert). */
  enqueue(deliveries: readonly NewDelivery[]): Promise<WebhookDelivery[]>;
  get(id: string): Promise<WebhookDelivery | null>;
  /**
   * Leases up to `limit` due deliveries (pending and due, or delivering with an expired lease) to `workerId` for
   * `leaseMs`, counting an attempt. Two concurrent claimers never receive the same row.
   */
  claimDue(workerId: string, now: Date, limit: number, leaseMs: number): Promise<WebhookDelivery[]>;
  /** Records an attempt's outcome; false if `workerId` no longer holds the lease (another worker took over). */
  complete(id: string, workerId: string, outcome: DeliveryOutcome): Promise<boolean>;
  /** A webhook's deliveries, newest first. */
  listForWebhook(webhookId: string, options?: PageOptions): Promise<Page<WebhookDelivery>>;
  /** Deletes delivered and failed deliveries last updated before `before`; returns how many. */
  deleteFinishedBefore(before: Date): Promise<number>;
  /** Records one attempt (every attempt is kept, not just the latest); NotFoundError for an unknown delivery. */
  recordAttempt(attempt: NewDeliveryAttempt): Promise<DeliveryAttempt>;
  /** A delivery's attempts, oldest first. */
  listAttempts(deliveryId: string, options?: PageOptions): Promise<Page<DeliveryAttempt>>;
  /** Deliveries not finished (pending or delivering), and how many of them are due at `now` (a read-only poll). */
  queueStats(now: Date): Promise<{ unfinished: number; due: number }>;
}

/** One try at sending a delivery: what happened and what the receiver answered (body truncated). */
export interface DeliveryAttempt {
  id: string;
  deliveryId: string;
  /** 1 for the first attempt. */
  attempt: number;
  at: Date;
  /** `delivered`, `http_error`, `redirect`, `timeout`, `network_error`, `refused` (SSRF guard) or `skipped`. */
  outcome: string;
  responseCode: number | null;
  /** Cut to `RESPONSE_BODY_MAX` characters. */
  responseBody: string | null;
  /** Why it failed, when it did without an HTTP answer (log-safe text, cut to `RESPONSE_BODY_MAX`). */
  error: string | null;
  durationMs: number;
}

export type NewDeliveryAttempt = Omit<DeliveryAttempt, 'id' | 'at'> & { id?: string; at?: Date };

// ---- audit trail -------------------------------------------------------------------------------------------

export interface AuditEvent {
  /** Chosen by the producer, so a retried batch inserts nothing twice. */
  id: string;
  at: Date;
  actor: string | null;
  org: string | null;
  action: string;
  target: string | null;
  clientIp: string | null;
  userAgent: string | null;
  data: unknown;
}

export interface AuditFilter extends PageOptions {
  org?: string;
  actor?: string;
  action?: string;
  /** Inclusive lower bound on `at`. */
  since?: Date;
  /** Exclusive upper bound on `at`. */
  until?: Date;
}

export interface AuditRepo {
  /** Inserts a batch in one transaction; rows whose id already exists are skipped. Returns how many were new. */
  insert(events: readonly AuditEvent[]): Promise<number>;
  /** Events newest first. */
  list(filter?: AuditFilter): Promise<Page<AuditEvent>>;
  /** Retention: deletes events before `before`; returns how many. */
  deleteBefore(before: Date): Promise<number>;
}

// ---- shared small state: settings and login throttling -----------------------------------------------------

export interface SettingsRepo {
  get(key: string): Promise<string | null>;
  /** Stores `value` unless the key exists; returns whichever value won (so replicas agree on one MAC key). */
  putIfAbsent(key: string, value: string): Promise<string>;
}

/** Fixed-window failure counters shared by every replica (per account, per client IP...). */
/** One throttle key's live window. */
export interface AttemptWindow {
  failures: number;
  windowStart: Date;
  /** The last failure counted, or the last paced attempt claimed (`claim`). */
  lastFailureAt: Date;
}

/**
 * Failure counters by key. Keys are any strings of any length (an account's 320-character address included): the
 * store keeps their SHA-256, so a key never overflows a column on any driver.
 */
export interface LoginAttemptsRepo {
  /** Adds one failure to each key's current window (a window older than `windowMs` restarts); returns the counts. */
  increment(keys: readonly string[], windowMs: number, now?: Date): Promise<Map<string, number>>;
  /** Failures in each key's current window (0 when none or expired). */
  get(keys: readonly string[], windowMs: number, now?: Date): Promise<Map<string, number>>;
  /** Each key's live window; keys without one (none, or expired) are absent. */
  windows(keys: readonly string[], windowMs: number, now?: Date): Promise<Map<string, AttemptWindow>>;
  /**
   * Claims one paced attempt for a key: moves its `lastFailureAt` from `expected` to `now`. Of concurrent claimers
   * that read the same window exactly one gets true.
   */
  claim(key: string, expected: Date, now?: Date): Promise<boolean>;
  /** Forgets a key (after a successful login). */
  clear(key: string): Promise<void>;
  /** Deletes windows that ended before `now`; returns how many. */
  prune(windowMs: number, now?: Date): Promise<number>;
}

// ---- signing keys for the signed identity assertion (src/signing) -----------------------------------------

/** One key pair that signs identity assertions; replicas sharing a database share the keys. */
export interface SigningKey {
  /** The JWS `kid`. */
  kid: string;
  /** Rotation order: each rotation adds the next generation (unique, so two replicas cannot both add it). */
  generation: number;
  alg: string;
  /** The public key as a JWK (JSON text): what the JWKS publishes. */
  publicJwk: string;
  /** The private key as a JWK, sealed (AES-256-GCM, accounts/secret-box.ts): never stored in the clear. */
  sealedPrivateJwk: string;
  createdAt: Date;
  /** When replicas start signing with it (it is published from `createdAt`, so verifiers can learn it first). */
  activatesAt: Date;
}

export interface SigningKeysRepo {
  /** Every key kept, oldest generation first. */
  list(): Promise<SigningKey[]>;
  /** Adds a key unless its generation (or kid) exists; false when another replica added that generation first. */
  insert(key: SigningKey): Promise<boolean>;
  /** Deletes keys of generations below `generation` (retired and past their overlap); returns how many. */
  deleteGenerationsBelow(generation: number): Promise<number>;
}

// ---- the change feed: how replicas learn what to drop from their session caches ----------------------------

/**
 * What a change is about: one session (revoked), one user (roles, disabled, memberships, sessions ended) or one
 * organization (status changed, deleted: affects every member).
 */
export type ChangeKind = 'session' | 'user' | 'org';

export interface ChangeEntry {
  /** Increasing, but rows may become visible out of order (commit order); readers dedupe by seq. */
  seq: number;
  kind: ChangeKind;
  subject: string;
  at: Date;
}

/**
 * The change feed. Writes that change what a cached session carries append to it in their own transaction (the
 * repositories do it; callers never append by hand), and every replica reads it.
 */
export interface ChangesRepo {
  /** Entries with seq > afterSeq, oldest first (readers look back a little and dedupe: see actors/change-feed). */
  since(afterSeq: number, limit?: number): Promise<ChangeEntry[]>;
  /** The newest seq (0 when empty): where a replica starts reading. */
  latest(): Promise<number>;
  /** The oldest seq still kept (0 when empty): a reader behind it has missed changes and must drop its cache. */
  oldest(): Promise<number>;
  /** Retention: deletes entries written before `before`; returns how many. */
  prune(before: Date): Promise<number>;
}

/** A live subscription to change notifications (PostgreSQL LISTEN). */
export interface ChangeSubscription {
  close(): Promise<void>;
}

/** Callbacks of a change subscription. */
export interface ChangeListener {
  /** A change committed somewhere: read the feed now. */
  onNotify(): void;
  /** The subscription was lost and is back: notifications may have been missed. */
  onReconnect(): void;
}

// ---- the store ---------------------------------------------------------------------------------------------

/** Everything readable and writable; a transaction sees the same repositories. */
export interface StoreRepos {
  readonly users: UsersRepo;
  readonly identities: IdentitiesRepo;
  readonly sessions: SessionsRepo;
  readonly orgs: OrgsRepo;
  readonly memberships: MembershipsRepo;
  readonly webhooks: WebhooksRepo;
  readonly deliveries: DeliveriesRepo;
  readonly audit: AuditRepo;
  readonly settings: SettingsRepo;
  readonly loginAttempts: LoginAttemptsRepo;
  readonly changes: ChangesRepo;
  readonly mailOutbox: MailOutboxRepo;
  readonly accountTokens: AccountTokensRepo;
  readonly mfa: MfaRepo;
  readonly signingKeys: SigningKeysRepo;
}

export type StoreDriver = 'sqlite' | 'postgres' | 'mysql';

/** An error class a named transaction may throw and its caller should receive as such (see TransactionOp). */
export type ErrorClass = abstract new (...args: never[]) => GatehouseError;

/**
 * A named write transaction (defined with `transactionOp`, store/transaction-op.ts, which says why): its logic as a
 * function of plain-data arguments, exported by `module` under `name`, so the store can run it whole wherever the
 * data is (on SQLite, in the writer thread, in one message).
 */
export interface TransactionOp<A, R> {
  readonly kind: 'transaction-op';
  /** The URL of the module that exports it (its `import.meta.url`). */
  readonly module: string;
  /** The name it is exported under. */
  readonly name: string;
  readonly body: (tx: StoreRepos, args: A) => Promise<R>;
  /** Error classes beyond the store's that the body throws on purpose. */
  readonly errors: readonly ErrorClass[];
}

/** A connection pool's state, for the gatehouse_store_pool_* gauges. */
export interface PoolStats {
  /** pool_max: the most connections the pool opens. */
  readonly max: number;
  /** Connections open (idle or in use). */
  readonly open: number;
  readonly inUse: number;
  /** Callers waiting for a connection. */
  readonly waiting: number;
}

export interface Store extends StoreRepos {
  readonly driver: StoreDriver;
  /**
   * Runs `fn` in one transaction: all of its writes commit together or none do (the error is rethrown).
   * Keep it short and free of outside I/O: on SQLite it holds the only write lock.
   */
  transaction<T>(fn: (tx: StoreRepos) => Promise<T>): Promise<T>;
  /**
   * Runs a named transaction (transaction-op.ts) with plain-data arguments: on SQLite in ONE message to the writer
   * thread, which holds the write lock only while the body runs; elsewhere as `transaction`. Prefer it to
   * `transaction` for anything on a request path.
   */
  perform<A, R>(op: TransactionOp<A, R>, args: A): Promise<R>;
  /**
   * SQLite only: write transactions started and messages sent to the writer thread so far (tests assert one message
   * per transaction; see SqlDriver.writerStats).
   */
  readonly writerStats?: () => { readonly transactions: number; readonly messages: number };
  /**
   * Subscribes to change notifications where the database pushes them (PostgreSQL LISTEN/NOTIFY); undefined on
   * drivers where replicas poll the feed instead. Reconnects by itself after a connection loss.
   */
  readonly subscribeToChanges?: (listener: ChangeListener) => Promise<ChangeSubscription>;
  /** Resolves when the database answers a trivial query; StoreDownError otherwise (the database monitor). */
  ping(): Promise<void>;
  /** The connection pool right now (PostgreSQL and MySQL; SQLite has no pool). */
  readonly poolStats?: () => PoolStats;
  /** Waits for in-flight work, then closes connections and threads. */
  close(): Promise<void>;
}

/** Response bodies kept on a delivery are cut to this many characters. */
export const RESPONSE_BODY_MAX = 2048;

/**
 * The storage contract for local accounts beyond a password (issue 18): the mail outbox, single-use account tokens
 * (email verification, password reset, pending second-factor logins, WebAuthn challenges) and second factors. Kept
 * apart from store.ts so the account work can grow without every change touching the core contract; store.ts
 * re-exports it and `StoreRepos` carries the repositories. (It imports nothing from store.ts: a page is spelt out
 * where one is returned, so the two files do not import each other.)
 */

// ---- the mail outbox ---------------------------------------------------------------------------------------

export type MailStatus = 'pending' | 'sending' | 'sent' | 'failed';

/** One message waiting to be sent (or sent): a template name and its variables, rendered at send time. */
export interface OutboxMail {
  id: string;
  /** The template to render (`verify-email`, `reset-password`, ...). */
  template: string;
  toAddress: string;
  /**
   * The template variables, sealed with the account secrets key (they may hold a single-use link); null once the
   * message was sent or failed for good, so a link never outlives its delivery in the database.
   */
  payload: string | null;
  attempt: number;
  status: MailStatus;
  lastError: string | null;
  nextAttemptAt: Date;
  claimedBy: string | null;
  claimedUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewOutboxMail {
  id?: string;
  template: string;
  toAddress: string;
  payload: string;
  nextAttemptAt?: Date;
}

/** What a sender learned from one attempt. `pending` with `nextAttemptAt` schedules a retry. */
export interface MailOutcome {
  status: 'sent' | 'failed' | 'pending';
  error?: string | null;
  nextAttemptAt?: Date;
}

export interface MailOutboxRepo {
  /** Queues messages; call it inside the transaction of the change that causes them. */
  enqueue(mails: readonly NewOutboxMail[]): Promise<OutboxMail[]>;
  get(id: string): Promise<OutboxMail | null>;
  /** Leases up to `limit` due messages to `workerId` for `leaseMs`, counting an attempt; never the same row twice. */
  claimDue(workerId: string, now: Date, limit: number, leaseMs: number): Promise<OutboxMail[]>;
  /** Records an attempt's outcome; false when `workerId` no longer holds the lease. Sent and failed rows lose their payload. */
  complete(id: string, workerId: string, outcome: MailOutcome, at?: Date): Promise<boolean>;
  /** Unfinished messages, and how many are due at `now` (read-only). */
  queueStats(now: Date): Promise<{ unfinished: number; due: number }>;
  /** Messages to one address, newest first (for the operator and tests). */
  listForAddress(address: string, options?: { cursor?: string | null; limit?: number }): Promise<{ items: OutboxMail[]; nextCursor: string | null }>;
  /** Deletes sent and failed messages last updated before `before`; returns how many. */
  deleteFinishedBefore(before: Date): Promise<number>;
}

// ---- single-use account tokens -----------------------------------------------------------------------------

/** What a token is for. */
export type AccountTokenPurpose = 'verify_email' | 'reset_password' | 'mfa_login' | 'webauthn' | 'org_invitation';

/**
 * A single-use, expiring token. Only its hash is stored (`id`); the token itself goes to its owner (in a link, or a
 * cookie for a login in progress) and is never written anywhere.
 */
export interface AccountToken {
  /** SHA-256 of the token, hex. */
  id: string;
  purpose: AccountTokenPurpose;
  /** The account it acts on; null for a passkey sign-in that has not named an account yet. */
  userId: string | null;
  /** The address a verification link was sent to (it verifies that address only). */
  email: string | null;
  /** Small JSON state (a WebAuthn challenge, the factors proven so far, where to return). */
  data: unknown;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

export interface NewAccountToken {
  id: string;
  purpose: AccountTokenPurpose;
  userId: string | null;
  email?: string | null;
  data?: unknown;
  expiresAt: Date;
  createdAt?: Date;
}

export interface AccountTokensRepo {
  create(token: NewAccountToken): Promise<AccountToken>;
  /** Reads a token by hash whatever its state (the caller checks purpose, expiry and use). */
  get(id: string): Promise<AccountToken | null>;
  /**
   * Marks a live token of `purpose` used, exactly once: of two concurrent callers one gets the token, the other null
   * (as do expired, used, unknown and other-purpose tokens).
   */
  consume(id: string, purpose: AccountTokenPurpose, now?: Date): Promise<AccountToken | null>;
  /** Replaces a live token's data (a login in progress moving to its next step); false when it is gone. */
  updateData(id: string, data: unknown): Promise<boolean>;
  /** Ends every unused token of `purpose` for a user (a new reset link voids the older ones); returns how many. */
  revokeForUser(userId: string, purpose: AccountTokenPurpose, now?: Date): Promise<number>;
  /** Deletes tokens that expired, or were used, before `before`; returns how many. */
  deleteExpired(before: Date): Promise<number>;
}

// ---- second factors ----------------------------------------------------------------------------------------

/** A user's authenticator-app secret (RFC 6238). One per user; unconfirmed until a first code proves the app has it. */
export interface TotpCredential {
  userId: string;
  /** The base32 secret, sealed with the accounts key. */
  secret: string;
  confirmedAt: Date | null;
  /** The last time step a code was accepted for: a code is never accepted twice (RFC 6238 §5.2). */
  lastStep: number | null;
  createdAt: Date;
}

/** A registered passkey or security key (WebAuthn). */
export interface WebAuthnCredential {
  /** The credential id, base64url. */
  id: string;
  userId: string;
  name: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The signature counter last seen (0 for authenticators that do not count). */
  counter: number;
  transports: string[];
  /** `singleDevice` (a hardware key: amr hwk) or `multiDevice` (a synced passkey: amr swk). */
  deviceType: string;
  backedUp: boolean;
  /** The user chose to sign in with it instead of a password (it is then a discoverable credential). */
  passwordless: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type NewWebAuthnCredential = Omit<WebAuthnCredential, 'createdAt' | 'lastUsedAt'> & { createdAt?: Date };

export interface MfaRepo {
  getTotp(userId: string): Promise<TotpCredential | null>;
  /** Stores a new, unconfirmed secret, replacing an unconfirmed one; ConflictError('totp') when one is confirmed. */
  putPendingTotp(userId: string, sealedSecret: string): Promise<TotpCredential>;
  /** Confirms the pending secret with the step of its first code; false when there is none pending. */
  confirmTotp(userId: string, step: number): Promise<boolean>;
  /** Accepts a code's step once: true only if it is later than every step accepted before (no replays, ever). */
  useTotpStep(userId: string, step: number): Promise<boolean>;
  /** Removes the user's secret, confirmed or not; returns how many rows went. */
  deleteTotp(userId: string): Promise<number>;
  /** Replaces the user's recovery codes with these hashes (all unused). */
  replaceRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void>;
  /** Uses one recovery code, once: true for the caller that marked it used. */
  useRecoveryCode(userId: string, hash: string): Promise<boolean>;
  /** How many unused recovery codes the user has. */
  countRecoveryCodes(userId: string): Promise<number>;
  deleteRecoveryCodes(userId: string): Promise<number>;
  /** Registers a credential; ConflictError('credential') if its id is already registered. */
  addCredential(credential: NewWebAuthnCredential): Promise<WebAuthnCredential>;
  getCredential(id: string): Promise<WebAuthnCredential | null>;
  /** A user's credentials, oldest first. */
  listCredentials(userId: string): Promise<WebAuthnCredential[]>;
  /** Renames one of the user's credentials; false when it is not theirs or gone. */
  renameCredential(userId: string, id: string, name: string): Promise<boolean>;
  /** Removes one of the user's credentials; false when it is not theirs or gone. */
  removeCredential(userId: string, id: string): Promise<boolean>;
  /** Records a use: the new counter (which must have grown, unless both are 0) and the time; false when refused. */
  useCredential(id: string, counter: number, at?: Date): Promise<boolean>;
  deleteCredentials(userId: string): Promise<number>;
}

/**
 * Registration's and OAuth account linking's write transactions, each a named operation (store/transaction-op.ts)
 * that the store runs whole where the data is: on SQLite one message to the writer thread, which holds the write lock
 * only while the body runs (issue 13, section 4). What needs a key or the clock of a request (a minted token, a sealed
 * mail, the roles a provider's claims map to) is made by the caller and passed in as plain data. The SQLite writer
 * imports this module by URL, so it must stay free of side effects at import.
 */
import type { AccountTokenPurpose, NewOutboxMail, NewUser, StoreRepos, User } from '../store/store.js';
import { transactionOp } from '../store/transaction-op.js';

const HERE = import.meta.url;

/**
 * A single-use link made on the main thread: its token row (the hash of the secret in the link) and the sealed mail
 * that carries it, stored together by a named transaction for the user it is for.
 */
export interface MailedLink {
  token: { id: string; purpose: AccountTokenPurpose; email: string; expiresAt: Date };
  mail: NewOutboxMail;
}

/** Stores a link and queues its mail, in the caller's transaction. */
export async function storeLink(tx: StoreRepos, userId: string, link: MailedLink): Promise<void> {
  await tx.accountTokens.create({ ...link.token, userId });
  await tx.mailOutbox.enqueue([link.mail]);
}

/** POST /.gatehouse/register: the account and, when verification is on, its verification link (a new user has no older one). */
export const registerTx = transactionOp(HERE, 'registerTx',
  async (tx, a: { user: NewUser; link: MailedLink | null }): Promise<User> => {
    const user = await tx.users.create(a.user);
    if (a.link !== null) await storeLink(tx, user.id, a.link);
    return user;
  });

/**
 * OAuth: a new subject linked to the local account that has its verified email. Pre-account takeover: anyone could
 * have registered this email with a password of their choosing before its owner first signed in through the
 * provider. The provider has just proved the email is this person's, so the link ends every session of the account
 * and drops its password: only the verified owner keeps access. The provider vouched for the address
 * (link_by_verified_email requires it): it counts as verified here too.
 */
export const linkByEmailTx = transactionOp(HERE, 'linkByEmailTx',
  async (tx, a: { provider: string; subject: string; email: string; user: User }): Promise<User> => {
    const { user } = a;
    await tx.identities.link({ provider: a.provider, subject: a.subject, userId: user.id, email: a.email });
    if (user.passwordHash !== null) await tx.sessions.revokeForUser(user.id);
    const proven = user.emailVerifiedAt === null ? { emailVerifiedAt: new Date() } : {};
    return user.passwordHash !== null || user.emailVerifiedAt === null
      ? tx.users.update(user.id, { ...(user.passwordHash !== null ? { passwordHash: null } : {}), ...proven })
      : user;
  });

/** OAuth: a new user without a password, linked to the subject, together (ConflictError('email') when the address was taken meanwhile). */
export const createLinkedUserTx = transactionOp(HERE, 'createLinkedUserTx',
  async (tx, a: { user: NewUser; provider: string; subject: string }): Promise<User> => {
    const created = await tx.users.create(a.user);
    await tx.identities.link({ provider: a.provider, subject: a.subject, userId: created.id, email: a.user.email });
    return created;
  });

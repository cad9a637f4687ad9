/**
 * The account flows' write transactions (verification, password reset and change, second factors), each a named
 * operation (store/transaction-op.ts) that the store runs whole where the data is: on SQLite one message to the
 * writer thread, which holds the write lock only while the body runs (issue 13, section 4). The endpoints check,
 * mint tokens and seal mail (the secrets key stays on the main thread: `mail.seal`), then pass the rows in as plain
 * data; a null mail is "mail is not configured". The SQLite writer imports this module by URL, so it must stay free
 * of side effects at import.
 */
import { storeLink, type MailedLink } from '../auth/write-ops.js';
import type { NewOutboxMail, NewWebAuthnCredential, StoreRepos, User } from '../store/store.js';
import { canonicalEmail } from '../store/canonical-email.js';
import { transactionOp } from '../store/transaction-op.js';

const HERE = import.meta.url;

async function queue(tx: StoreRepos, mail: NewOutboxMail | null): Promise<void> {
  if (mail !== null) await tx.mailOutbox.enqueue([mail]);
}

/** A new verification or reset link: only the newest one works, so asking again voids the user's older ones. */
export const replaceLinkTx = transactionOp(HERE, 'replaceLinkTx',
  async (tx, a: { userId: string; link: MailedLink }): Promise<null> => {
    await tx.accountTokens.revokeForUser(a.userId, a.link.token.purpose);
    await storeLink(tx, a.userId, a.link);
    return null;
  });

/**
 * POST /.gatehouse/reset-password: uses the link (once), sets the password, ends every session of the account,
 * voids its other reset links and pending second-factor logins and queues the notice (sealed by the caller for
 * `userId`, the account the link was checked for). Using the link also proves the address it was sent to, so it counts
 * as verified. Null when the link was used meanwhile, or the account is gone or disabled.
 */
export const completeResetTx = transactionOp(HERE, 'completeResetTx',
  async (tx, a: { tokenId: string; userId: string; passwordHash: string; mail: NewOutboxMail | null }): Promise<{ user: User; ended: number } | null> => {
    const used = await tx.accountTokens.consume(a.tokenId, 'reset_password');
    if (used === null || used.userId !== a.userId) return null;
    const user = await tx.users.get(a.userId);
    if (user === null || user.disabled) return null;
    const proven = used.email !== null && canonicalEmail(user.email) === used.email;
    const updated = await tx.users.update(user.id, { passwordHash: a.passwordHash, ...(proven && user.emailVerifiedAt === null ? { emailVerifiedAt: new Date() } : {}) });
    const ended = await tx.sessions.revokeForUser(user.id);
    await tx.accountTokens.revokeForUser(user.id, 'reset_password');
    await tx.accountTokens.revokeForUser(user.id, 'mfa_login');
    await queue(tx, a.mail);
    return { user: updated, ended };
  });

/** POST /.gatehouse/account/password: the new password, pending reset links void, every other session ended, the notice. */
export const changePasswordTx = transactionOp(HERE, 'changePasswordTx',
  async (tx, a: { userId: string; keepSessionId: string; passwordHash: string; mail: NewOutboxMail | null }): Promise<number> => {
    await tx.users.update(a.userId, { passwordHash: a.passwordHash });
    await tx.accountTokens.revokeForUser(a.userId, 'reset_password');
    const ended = await tx.sessions.revokeForUser(a.userId, { exceptId: a.keepSessionId });
    await queue(tx, a.mail);
    return ended;
  });

/** A confirmed authenticator app (with its first recovery codes, when the account had none) or new recovery codes: the codes' hashes and the notice. */
export const recoveryCodesTx = transactionOp(HERE, 'recoveryCodesTx',
  async (tx, a: { userId: string; codeHashes: string[] | null; mail: NewOutboxMail | null }): Promise<null> => {
    if (a.codeHashes !== null) await tx.mfa.replaceRecoveryCodes(a.userId, a.codeHashes);
    await queue(tx, a.mail);
    return null;
  });

/** POST /.gatehouse/account/totp/remove: the app goes, the recovery codes too when no passkey is left. */
export const removeTotpTx = transactionOp(HERE, 'removeTotpTx',
  async (tx, a: { userId: string; dropRecoveryCodes: boolean; mail: NewOutboxMail | null }): Promise<null> => {
    await tx.mfa.deleteTotp(a.userId);
    if (a.dropRecoveryCodes) await tx.mfa.deleteRecoveryCodes(a.userId);
    await queue(tx, a.mail);
    return null;
  });

/** POST /.gatehouse/account/passkeys/add: the credential (ConflictError when it is registered already), first recovery codes, the notice. */
export const addPasskeyTx = transactionOp(HERE, 'addPasskeyTx',
  async (tx, a: { credential: NewWebAuthnCredential; codeHashes: string[] | null; mail: NewOutboxMail | null }): Promise<null> => {
    await tx.mfa.addCredential(a.credential);
    if (a.codeHashes !== null) await tx.mfa.replaceRecoveryCodes(a.credential.userId, a.codeHashes);
    await queue(tx, a.mail);
    return null;
  });

/** POST /.gatehouse/account/passkeys/remove: false when there is no such passkey; the recovery codes go with the last factor. */
export const removePasskeyTx = transactionOp(HERE, 'removePasskeyTx',
  async (tx, a: { userId: string; credentialId: string; hasTotp: boolean; mail: NewOutboxMail | null }): Promise<boolean> => {
    if (!await tx.mfa.removeCredential(a.userId, a.credentialId)) return false;
    const left = (await tx.mfa.listCredentials(a.userId)).length;
    if (left === 0 && !a.hasTotp) await tx.mfa.deleteRecoveryCodes(a.userId);
    await queue(tx, a.mail);
    return true;
  });

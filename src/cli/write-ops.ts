/**
 * The operator's account commands' write transactions (`gatehouse user`), as named operations
 * (store/transaction-op.ts): on SQLite each is one message to the writer thread, so a command run beside a live
 * instance holds the write lock only while its statements run. The SQLite writer imports this module by URL: keep it
 * free of side effects at import.
 */
import { transactionOp } from '../store/transaction-op.js';

const HERE = import.meta.url;

/** `user set-password`: like a reset by link, the new password ends every session and voids pending reset links; returns the sessions ended. */
export const setPasswordTx = transactionOp(HERE, 'setPasswordTx',
  async (tx, a: { userId: string; passwordHash: string }): Promise<number> => {
    await tx.users.update(a.userId, { passwordHash: a.passwordHash });
    await tx.accountTokens.revokeForUser(a.userId, 'reset_password');
    return tx.sessions.revokeForUser(a.userId);
  });

/** `user reset-mfa`: every second factor goes (sessions stay); returns what was removed. */
export const resetMfaTx = transactionOp(HERE, 'resetMfaTx',
  async (tx, a: { userId: string }): Promise<{ totp: number; passkeys: number; recovery_codes: number }> => ({
    totp: await tx.mfa.deleteTotp(a.userId), passkeys: await tx.mfa.deleteCredentials(a.userId), recovery_codes: await tx.mfa.deleteRecoveryCodes(a.userId),
  }));

import { ConflictError, NotFoundError } from '../../errors/index.js';
import type { MfaRepo, TotpCredential, WebAuthnCredential } from '../accounts-store.js';
import type { SqlRow } from './queryable.js';
import type { RepoContext } from './repo-context.js';
import { ms, toBool, toDate, toDateOrNull } from './rows.js';

function rowToTotp(r: SqlRow): TotpCredential {
  return {
    userId: String(r.user_id), secret: String(r.secret), confirmedAt: toDateOrNull(r.confirmed_at),
    lastStep: r.last_step === null || r.last_step === undefined ? null : Number(r.last_step), createdAt: toDate(r.created_at),
  };
}

function rowToCredential(r: SqlRow): WebAuthnCredential {
  const transports = JSON.parse(String(r.transports ?? '[]')) as unknown;
  return {
    id: String(r.id), userId: String(r.user_id), name: String(r.name), publicKey: String(r.public_key), counter: Number(r.counter),
    transports: Array.isArray(transports) ? transports.map(String) : [], deviceType: String(r.device_type), backedUp: toBool(r.backed_up),
    passwordless: toBool(r.passwordless), createdAt: toDate(r.created_at), lastUsedAt: toDateOrNull(r.last_used_at),
  };
}

/** Second factors over any SQL driver: TOTP secrets, recovery codes (hashes) and WebAuthn credentials. */
export function mfaRepo(ctx: RepoContext): MfaRepo {
  const { q } = ctx;
  return {
    async getTotp(userId) {
      const rows = await q.all('SELECT * FROM totp_credentials WHERE user_id = ?', [userId]);
      return rows[0] ? rowToTotp(rows[0]) : null;
    },
    async putPendingTotp(userId, sealedSecret) {
      const now = ctx.now();
      return ctx.atomic(async (tq) => {
        await tq.run('DELETE FROM totp_credentials WHERE user_id = ? AND confirmed_at IS NULL', [userId]);
        try {
          await tq.run('INSERT INTO totp_credentials (user_id, secret, confirmed_at, last_step, created_at) VALUES (?, ?, NULL, NULL, ?)', [userId, sealedSecret, now]);
        } catch (err) {
          if (err instanceof ConflictError) throw new ConflictError('totp', 'an authenticator app is already set up', err);
          if (err instanceof NotFoundError) throw new NotFoundError('user', err);
          throw err;
        }
        return { userId, secret: sealedSecret, confirmedAt: null, lastStep: null, createdAt: new Date(now) };
      });
    },
    async confirmTotp(userId, step) {
      return await q.run('UPDATE totp_credentials SET confirmed_at = ?, last_step = ? WHERE user_id = ? AND confirmed_at IS NULL', [ctx.now(), step, userId]) > 0;
    },
    async useTotpStep(userId, step) {
      // One conditional update: of two requests with the same code, one moves last_step and the other finds it moved.
      return await q.run('UPDATE totp_credentials SET last_step = ? WHERE user_id = ? AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < ?)',
        [step, userId, step]) > 0;
    },
    deleteTotp: (userId) => q.run('DELETE FROM totp_credentials WHERE user_id = ?', [userId]),
    async replaceRecoveryCodes(userId, hashes) {
      const now = ctx.now();
      await ctx.atomic(async (tq) => {
        await tq.run('DELETE FROM recovery_codes WHERE user_id = ?', [userId]);
        if (hashes.length > 0) await tq.runMany('INSERT INTO recovery_codes (user_id, code_hash, used_at, created_at) VALUES (?, ?, NULL, ?)', hashes.map((h) => [userId, h, now]));
      });
    },
    async useRecoveryCode(userId, hash) {
      return await q.run('UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL', [ctx.now(), userId, hash]) > 0;
    },
    async countRecoveryCodes(userId) {
      const rows = await q.all('SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NULL', [userId]);
      return Number(rows[0]?.n ?? 0);
    },
    deleteRecoveryCodes: (userId) => q.run('DELETE FROM recovery_codes WHERE user_id = ?', [userId]),
    async addCredential(c) {
      const credential: WebAuthnCredential = { ...c, transports: [...c.transports], createdAt: c.createdAt ?? new Date(ctx.now()), lastUsedAt: null };
      try {
        await q.run(`INSERT INTO webauthn_credentials (id, user_id, name, public_key, counter, transports, device_type, backed_up, passwordless, created_at, last_used_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`, [credential.id, credential.userId, credential.name, credential.publicKey, credential.counter,
          JSON.stringify(credential.transports), credential.deviceType, credential.backedUp ? 1 : 0, credential.passwordless ? 1 : 0, ms(credential.createdAt)]);
      } catch (err) {
        if (err instanceof ConflictError) throw new ConflictError('credential', 'this passkey is already registered', err);
        if (err instanceof NotFoundError) throw new NotFoundError('user', err);
        throw err;
      }
      return credential;
    },
    async getCredential(id) {
      const rows = await q.all('SELECT * FROM webauthn_credentials WHERE id = ?', [id]);
      return rows[0] ? rowToCredential(rows[0]) : null;
    },
    async listCredentials(userId) {
      const rows = await q.all('SELECT * FROM webauthn_credentials WHERE user_id = ? ORDER BY created_at, id', [userId]);
      return rows.map(rowToCredential);
    },
    async renameCredential(userId, id, name) {
      // MySQL counts only changed rows: read back instead of trusting the count when the name is unchanged.
      await q.run('UPDATE webauthn_credentials SET name = ? WHERE id = ? AND user_id = ?', [name, id, userId]);
      const rows = await q.all('SELECT name FROM webauthn_credentials WHERE id = ? AND user_id = ?', [id, userId]);
      return rows[0] !== undefined && String(rows[0].name) === name;
    },
    async removeCredential(userId, id) {
      return await q.run('DELETE FROM webauthn_credentials WHERE id = ? AND user_id = ?', [id, userId]) > 0;
    },
    async useCredential(id, counter, at) {
      // A counter that did not grow means a cloned authenticator (WebAuthn §6.1.1), unless it never counts (0).
      return await q.run('UPDATE webauthn_credentials SET counter = ?, last_used_at = ? WHERE id = ? AND (counter < ? OR (counter = 0 AND ? = 0))',
        [counter, at ? ms(at) : ctx.now(), id, counter, counter]) > 0;
    },
    deleteCredentials: (userId) => q.run('DELETE FROM webauthn_credentials WHERE user_id = ?', [userId]),
  };
}
